// The BTCPayServer Flash plugin's flow, played by the reference client against
// the whole stack: a merchant creates a token, the client exchanges it, reads
// the wallets, creates invoices, watches one go PAID over graphql-ws, and is
// refused everywhere once the merchant revokes the token.
import { FlashAuthError, FlashClient } from "@/client/flash-client"
import { testStack } from "../harness/stack-state"
import { createApiToken, gql, revokeApiToken } from "../support/api-tokens"
import { devSession } from "../support/tokens"

const stack = testStack()

const devPay = async (paymentRequest: string) => {
  const res = await fetch(`${stack.urls.api}/dev/lightning/pay`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ paymentRequest }),
  })
  expect(res.status).toBe(200)
}

type Wallet = { id: string; walletCurrency: "BTC" | "USD"; balance: number }
const WALLETS = "query { me { defaultAccount { defaultWalletId wallets { id walletCurrency balance } } } }"

const wallets = async (client: FlashClient) => {
  const r = await client.query<{ me: { defaultAccount: { defaultWalletId: string; wallets: Wallet[] } } }>(WALLETS)
  expect(r.errors).toBeUndefined()
  return r.data!.me.defaultAccount
}

describe("the BTCPay plugin flow with the reference client", () => {
  const clients: FlashClient[] = []
  afterAll(async () => Promise.all(clients.map((c) => c.close())))

  it("read+receive token: wallets, BTC and USD invoices, PAID over the subscription, then refused after revocation", async () => {
    const merchant = await devSession()
    const created = await createApiToken(merchant.token, { scopes: ["read", "receive"], name: "BTCPay store" })
    const client = FlashClient.fromConnectionString(created.connectionString)
    clients.push(client)

    const account = await wallets(client)
    const btc = account.wallets.find((w) => w.walletCurrency === "BTC")!
    const usd = account.wallets.find((w) => w.walletCurrency === "USD")!
    expect(btc.balance).toBe(0)

    const usdInvoice = await client.mutate<{ lnUsdInvoiceCreate: { invoice: { paymentRequest: string }; errors: unknown[] } }>(
      `mutation ($input: LnUsdInvoiceCreateInput!) { lnUsdInvoiceCreate(input: $input) { invoice { paymentRequest } errors { code message } } }`,
      { input: { walletId: usd.id, amount: 250, memo: "order #2" } },
    )
    expect(usdInvoice.data?.lnUsdInvoiceCreate.errors).toEqual([])
    expect(usdInvoice.data?.lnUsdInvoiceCreate.invoice.paymentRequest).toMatch(/^lnbcrt/)

    const invoice = await client.mutate<{ lnInvoiceCreate: { invoice: { paymentRequest: string; satoshis: number }; errors: unknown[] } }>(
      `mutation ($input: LnInvoiceCreateInput!) { lnInvoiceCreate(input: $input) { invoice { paymentRequest satoshis } errors { code message } } }`,
      { input: { walletId: btc.id, amount: 2100, memo: "order #1" } },
    )
    expect(invoice.data?.lnInvoiceCreate.errors).toEqual([])
    const { paymentRequest } = invoice.data!.lnInvoiceCreate.invoice

    const statuses: string[] = []
    const paid = new Promise<void>((resolve, reject) => {
      client.subscribe<{ lnInvoicePaymentStatus: { status: string } }>(
        `subscription ($input: LnInvoicePaymentStatusInput!) { lnInvoicePaymentStatus(input: $input) { status errors { message } } }`,
        { input: { paymentRequest } },
        {
          next: (r) => {
            const status = r.data?.lnInvoicePaymentStatus.status
            if (status) statuses.push(status)
            if (status === "PAID") resolve()
          },
          error: reject,
          complete: () => undefined,
        },
      )
    })
    await new Promise((r) => setTimeout(r, 300)) // the subscription is registered
    await devPay(paymentRequest)
    await paid
    expect(statuses).toContain("PAID")
    expect((await wallets(client)).wallets.find((w) => w.id === btc.id)!.balance).toBe(2100)

    // The merchant revokes: the next call and the next token request both fail clearly.
    expect((await revokeApiToken(merchant.token, created.id)).errors).toEqual([])
    await expect(client.query(WALLETS)).rejects.toThrow(FlashAuthError)
    client.invalidate()
    await expect(client.accessToken()).rejects.toThrow(/token request refused/)
  })

  it("write token: pays another merchant's invoice", async () => {
    const payee = await devSession()
    const payeeWallet = (await gql(payee.token, "{ me { defaultAccount { defaultWalletId } } }")).body.data.me.defaultAccount
      .defaultWalletId as string
    const invoice = (
      await gql(
        payee.token,
        `mutation { lnInvoiceCreate(input: { walletId: ${JSON.stringify(payeeWallet)}, amount: 700 }) { invoice { paymentRequest } } }`,
      )
    ).body.data.lnInvoiceCreate.invoice.paymentRequest as string

    const payer = await devSession()
    const created = await createApiToken(payer.token, { scopes: ["read", "write"] })
    const client = FlashClient.fromConnectionString(created.connectionString)
    clients.push(client)
    const payerWallet = (await wallets(client)).defaultWalletId
    // fund the payer through the sandbox's external payer
    const topUp = await gql(
      payer.token,
      `mutation { lnInvoiceCreate(input: { walletId: ${JSON.stringify(payerWallet)}, amount: 5000 }) { invoice { paymentRequest } } }`,
    )
    await devPay(topUp.body.data.lnInvoiceCreate.invoice.paymentRequest)

    const sent = await client.mutate<{ lnInvoicePaymentSend: { status: string; errors: unknown[] } }>(
      `mutation ($input: LnInvoicePaymentInput!) { lnInvoicePaymentSend(input: $input) { status errors { code message } } }`,
      { input: { walletId: payerWallet, paymentRequest: invoice } },
    )
    expect(sent.data?.lnInvoicePaymentSend).toEqual({ status: "SUCCESS", errors: [] })
    const payerBalance = (await wallets(client)).wallets.find((w) => w.id === payerWallet)!.balance
    expect(payerBalance).toBe(4300)
  })
})
