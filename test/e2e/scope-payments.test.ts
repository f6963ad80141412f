// Paying someone else (another account's wallet or invoice) with API tokens of
// each scope, over HTTP and WebSocket: read-only and receive-only tokens are
// refused by the shield (INSUFFICIENT_SCOPE) and nothing moves; a write token
// pays. The scope table (scope-enforcement.test.ts) shows who gets past the
// shield; this shows the money.
import { createClient } from "graphql-ws"
import WebSocket from "ws"
import { testStack } from "../harness/stack-state"
import { accessTokenFor, createApiToken, gql } from "../support/api-tokens"
import { devSession } from "../support/tokens"

const stack = testStack()

const btcWalletOf = async (bearer: string) => {
  const { body } = await gql(bearer, `{ me { defaultAccount { wallets { id walletCurrency balance } } } }`)
  return (body.data.me.defaultAccount.wallets as Array<{ id: string; walletCurrency: string; balance: number }>).find((w) => w.walletCurrency === "BTC")!
}

const invoiceOf = async (session: string, walletId: string, amount: number) => {
  const { body } = await gql(session, `mutation($input: LnInvoiceCreateInput!) { lnInvoiceCreate(input: $input) { invoice { paymentRequest } } }`, {
    input: { walletId, amount },
  })
  return body.data.lnInvoiceCreate.invoice.paymentRequest as string
}

const statusOf = async (session: string, paymentRequest: string) => {
  const { body } = await gql(session, `query($input: LnInvoicePaymentStatusInput!) { lnInvoicePaymentStatus(input: $input) { status } }`, {
    input: { paymentRequest },
  })
  return body.data.lnInvoicePaymentStatus.status as string
}

const SEND = `mutation($input: IntraLedgerPaymentSendInput!) { intraLedgerPaymentSend(input: $input) { status errors { code } } }`
const PAY = `mutation($input: LnInvoicePaymentInput!) { lnInvoicePaymentSend(input: $input) { status errors { code } } }`

/** One operation over graphql-ws: its first result (or its error). */
const overWs = (bearer: string, query: string, variables: Record<string, unknown>) =>
  new Promise<{ data?: Record<string, unknown> | null; codes: string[] }>((resolve, reject) => {
    const client = createClient({
      url: stack.urls.graphqlWs,
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${bearer}` },
      retryAttempts: 0,
      on: { closed: (e) => reject(new Error(`socket closed: ${(e as { code?: number }).code}`)) },
    })
    client.subscribe(
      { query, variables },
      {
        next: (r) => {
          resolve({ data: r.data as Record<string, unknown> | null, codes: (r.errors ?? []).map((e) => String(e.extensions?.code)) })
          void client.dispose()
        },
        error: (e) => {
          resolve({ codes: Array.isArray(e) ? e.map((x: { extensions?: { code?: string } }) => String(x.extensions?.code)) : [String(e)] })
          void client.dispose()
        },
        complete: () => undefined,
      },
    )
  })

describe("paying another account with API tokens of each scope", () => {
  let payer: { token: string }
  let payee: { token: string }
  let payerWallet: string
  let payeeWallet: string
  const jwt: Record<"read" | "receive" | "write", string> = { read: "", receive: "", write: "" }

  beforeAll(async () => {
    payer = await devSession()
    payee = await devSession()
    payerWallet = (await btcWalletOf(payer.token)).id
    payeeWallet = (await btcWalletOf(payee.token)).id
    const funding = await fetch(`${stack.urls.api}/dev/lightning/pay`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ paymentRequest: await invoiceOf(payer.token, payerWallet, 10_000) }),
    })
    expect(funding.status).toBe(200)
    for (const scope of ["read", "receive", "write"] as const) {
      jwt[scope] = await accessTokenFor(await createApiToken(payer.token, { scopes: [scope] }))
    }
  })

  const balances = async () => ({ payer: (await btcWalletOf(payer.token)).balance, payee: (await btcWalletOf(payee.token)).balance })

  it.each(["read", "receive"] as const)("a %s-only token cannot pay another account's wallet, over HTTP or WebSocket", async (scope) => {
    const before = await balances()
    const input = { walletId: payerWallet, recipientWalletId: payeeWallet, amount: 100 }
    const http = await gql(jwt[scope], SEND, { input })
    expect(http.body.data?.intraLedgerPaymentSend ?? null).toBeNull()
    expect(http.body.errors?.map((e) => e.extensions?.code)).toEqual(["INSUFFICIENT_SCOPE"])
    const ws = await overWs(jwt[scope], SEND, { input })
    expect(ws.data?.intraLedgerPaymentSend ?? null).toBeNull()
    expect(ws.codes).toEqual(["INSUFFICIENT_SCOPE"])
    expect(await balances()).toEqual(before)
  })

  it.each(["read", "receive"] as const)("a %s-only token cannot pay another account's invoice, and the invoice stays unpaid", async (scope) => {
    const before = await balances()
    const paymentRequest = await invoiceOf(payee.token, payeeWallet, 250)
    const http = await gql(jwt[scope], PAY, { input: { walletId: payerWallet, paymentRequest } })
    expect(http.body.errors?.map((e) => e.extensions?.code)).toEqual(["INSUFFICIENT_SCOPE"])
    expect(await statusOf(payee.token, paymentRequest)).toBe("PENDING")
    expect(await balances()).toEqual(before)
  })

  it("a write token pays another account's wallet and invoice, over HTTP and WebSocket", async () => {
    const before = await balances()
    const http = await gql(jwt.write, SEND, { input: { walletId: payerWallet, recipientWalletId: payeeWallet, amount: 100 } })
    expect(http.body.data.intraLedgerPaymentSend).toEqual({ status: "SUCCESS", errors: [] })
    const ws = await overWs(jwt.write, SEND, { input: { walletId: payerWallet, recipientWalletId: payeeWallet, amount: 50 } })
    expect(ws).toEqual({ data: { intraLedgerPaymentSend: { status: "SUCCESS", errors: [] } }, codes: [] })
    const paymentRequest = await invoiceOf(payee.token, payeeWallet, 250)
    const paid = await gql(jwt.write, PAY, { input: { walletId: payerWallet, paymentRequest } })
    expect(paid.body.data.lnInvoicePaymentSend).toEqual({ status: "SUCCESS", errors: [] })
    expect(await statusOf(payee.token, paymentRequest)).toBe("PAID")
    expect(await balances()).toEqual({ payer: before.payer - 400, payee: before.payee + 400 })
  })
})
