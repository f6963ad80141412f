// The audit trail as the owner reads it over /graphql: a leaked token probing
// token management is recorded with its IP, and the API process counts the
// token's requests and amounts per hour (flushed in batches, ≤ 10 s).
import { gql, merchantWithToken } from "../support/api-tokens"
import { devSession } from "../support/tokens"
import { testStack } from "../harness/stack-state"
import { eventually } from "../support/eventually"

const AUDIT = `query($tokenId: ID, $first: Int) { apiTokenAuditEvents(tokenId: $tokenId, first: $first) {
  id type tokenId at actor reason ip field requests amountsSent { walletCurrency amount } } }`


describe("apiTokenAuditEvents over HTTP", () => {
  it("shows a token's refused management call and its hourly usage to the owner; refuses the token itself", async () => {
    const { session, token, jwt } = await merchantWithToken(["read", "write"])
    const probe = await gql(jwt, `{ apiTokens { id } }`)
    expect(probe.body.errors?.[0]?.extensions?.code).toBe("API_TOKEN_NOT_ALLOWED")
    const asToken = await gql(jwt, AUDIT, {})
    expect(asToken.body.errors?.[0]?.extensions?.code).toBe("API_TOKEN_NOT_ALLOWED")

    // Usage: a few requests and one payment with the token.
    const wallets = (await gql(jwt, `{ me { defaultAccount { wallets { id walletCurrency } } } }`)).body.data.me.defaultAccount.wallets as Array<{ id: string; walletCurrency: string }>
    const btc = wallets.find((w) => w.walletCurrency === "BTC")!
    const inv = await gql(session.token, `mutation($input: LnInvoiceCreateInput!) { lnInvoiceCreate(input: $input) { invoice { paymentRequest } } }`, {
      input: { walletId: btc.id, amount: 2000 },
    })
    await fetch(`${testStack().urls.api}/dev/lightning/pay`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ paymentRequest: inv.body.data.lnInvoiceCreate.invoice.paymentRequest }),
    })
    const payee = await devSession()
    const payeeBtc = ((await gql(payee.token, `{ me { defaultAccount { wallets { id walletCurrency } } } }`)).body.data.me.defaultAccount.wallets as Array<{ id: string; walletCurrency: string }>).find((w) => w.walletCurrency === "BTC")!
    const sent = await gql(jwt, `mutation($input: IntraLedgerPaymentSendInput!) { intraLedgerPaymentSend(input: $input) { status } }`, {
      input: { walletId: btc.id, recipientWalletId: payeeBtc.id, amount: 750 },
    })
    expect(sent.body.data.intraLedgerPaymentSend.status).toBe("SUCCESS")

    type Event = { type: string; reason: string | null; ip: string | null; field: string | null; requests: number | null; amountsSent: Array<{ walletCurrency: string; amount: number }> | null }
    let events: Event[] = []
    // The usage row is flushed in batches (within 10 s): wait for it to appear.
    await eventually(
      "the token's USAGE_HOUR event is listed",
      async () => {
        events = (await gql(session.token, AUDIT, { tokenId: token.id })).body.data.apiTokenAuditEvents as Event[]
        return events.some((e) => e.type === "USAGE_HOUR")
      },
      60_000,
      250,
    )
    const refused = events.filter((e) => e.type === "MANAGEMENT_REFUSED")
    expect(refused.map((e) => [e.reason, e.field])).toEqual(
      expect.arrayContaining([
        ["API_TOKEN_ON_SESSION_ONLY_FIELD", "Query.apiTokens"],
        ["API_TOKEN_ON_SESSION_ONLY_FIELD", "Query.apiTokenAuditEvents"],
      ]),
    )
    expect(refused[0]!.ip).toMatch(/127\.0\.0\.1/)
    const usage = events.find((e) => e.type === "USAGE_HOUR")!
    expect(usage).toBeDefined()
    expect(usage.requests).toBeGreaterThanOrEqual(4)
    expect(usage.amountsSent).toEqual([{ walletCurrency: "BTC", amount: 750 }])
    expect(usage.ip).toMatch(/127\.0\.0\.1/)
    expect(JSON.stringify(events)).not.toContain(token.clientSecret)
    expect(JSON.stringify(events)).not.toContain(jwt)
  })
})
