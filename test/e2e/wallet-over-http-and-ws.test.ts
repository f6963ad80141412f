// The receive and send flows against the running API, as a client sees them:
// a user session (Bearer) on HTTP, graphql-ws with connection_init on the
// WebSocket, the sandbox payer over /dev/lightning/pay. (The same flow with an
// API token needs the lifecycle work that issues tokens: issue 6's e2e.)
import { createClient } from "graphql-ws"
import WebSocket from "ws"
import { testStack } from "../harness/stack-state"
import { devSession } from "../support/tokens"

const stack = testStack()

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Data = any

const post = async (token: string, query: string, variables?: Record<string, unknown>): Promise<Data> => {
  const res = await fetch(stack.urls.graphql, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  })
  const body = (await res.json()) as { data?: Data; errors?: unknown[] }
  if (body.errors) throw new Error(JSON.stringify(body.errors))
  return body.data
}

const walletsOf = async (token: string) =>
  (await post(token, `query getWallets { me { defaultAccount { id defaultWalletId wallets { id walletCurrency balance pendingIncomingBalance } } } }`))
    .me.defaultAccount as { defaultWalletId: string; wallets: Array<{ id: string; walletCurrency: string; balance: number }> }

const createInvoice = async (token: string, walletId: string, amount: number) =>
  (
    await post(token, `mutation LnInvoiceCreate($input: LnInvoiceCreateInput!) { lnInvoiceCreate(input: $input) { invoice { paymentHash paymentRequest paymentSecret satoshis } errors { message } } }`, {
      input: { walletId, amount, memo: "e2e" },
    })
  ).lnInvoiceCreate.invoice as { paymentRequest: string; paymentHash: string; satoshis: number }

const devPay = (paymentRequest: string) =>
  fetch(`${stack.urls.api}/dev/lightning/pay`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ paymentRequest }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as Data }))

describe("the wallet over HTTP and WebSocket", () => {
  it("receive: create an invoice, subscribe over graphql-ws, the sandbox payer pays, the subscription sees PAID, the balance moves", async () => {
    const { token } = await devSession()
    const { defaultWalletId, wallets } = await walletsOf(token)
    expect(wallets.map((w) => w.walletCurrency).sort()).toEqual(["BTC", "USD"])
    const invoice = await createInvoice(token, defaultWalletId, 4321)

    const client = createClient({ url: stack.urls.graphqlWs, webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${token}` }, retryAttempts: 0 })
    const events: Data[] = []
    const finished = new Promise<void>((resolve, reject) =>
      client.subscribe(
        {
          query: `subscription InvoicePaymentStatus($input: LnInvoicePaymentStatusInput!) { lnInvoicePaymentStatus(input: $input) { status errors { message } } }`,
          variables: { input: { paymentRequest: invoice.paymentRequest } },
        },
        { next: (r) => events.push(r), error: reject, complete: resolve },
      ),
    )
    await new Promise((r) => setTimeout(r, 300)) // let the subscription start (a late start answers PAID at once anyway)
    expect(await devPay(invoice.paymentRequest)).toMatchObject({ status: 200, body: { status: "PAID" } })
    await finished
    expect(events).toEqual([{ data: { lnInvoicePaymentStatus: { status: "PAID", errors: [] } } }])
    await client.dispose()

    const after = await walletsOf(token)
    expect(after.wallets.find((w) => w.id === defaultWalletId)!.balance).toBe(4321)
  })

  it("send: pay another account's invoice over HTTP; balances move once; a second identical send moves nothing", async () => {
    const payer = await devSession()
    const merchant = await devSession()
    const payerWallet = (await walletsOf(payer.token)).defaultWalletId
    const merchantWallet = (await walletsOf(merchant.token)).defaultWalletId
    await devPay((await createInvoice(payer.token, payerWallet, 3000)).paymentRequest)
    const invoice = await createInvoice(merchant.token, merchantWallet, 1000)
    const send = `mutation lnInvoicePaymentSend($input: LnInvoicePaymentInput!) { lnInvoicePaymentSend(input: $input) { status errors { message code } } }`
    const input = { input: { walletId: payerWallet, paymentRequest: invoice.paymentRequest } }
    expect((await post(payer.token, send, input)).lnInvoicePaymentSend).toEqual({ status: "SUCCESS", errors: [] })
    expect((await post(payer.token, send, input)).lnInvoicePaymentSend.status).toBe("ALREADY_PAID")
    expect((await walletsOf(payer.token)).wallets.find((w) => w.id === payerWallet)!.balance).toBe(2000)
    expect((await walletsOf(merchant.token)).wallets.find((w) => w.id === merchantWallet)!.balance).toBe(1000)
  })

  it("the dev payer answers a code for each bad request", async () => {
    expect(await devPay("lnbcrt1nonsense")).toEqual({ status: 400, body: { error: expect.objectContaining({ code: "INVALID_PAYMENT_REQUEST" }) } })
    expect(await devPay("")).toEqual({ status: 400, body: { error: expect.objectContaining({ code: "INVALID_PAYMENT_REQUEST" }) } })
  })

  it("an anonymous caller cannot read wallets", async () => {
    const res = await fetch(stack.urls.graphql, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ me { id } }" }),
    })
    const body = (await res.json()) as { errors?: Array<{ extensions?: { code?: string } }> }
    expect(body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED")
  })
})
