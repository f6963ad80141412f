// Requests made with real API-token JWTs: the refusals that depend on the
// token record (expired, revoked), per-token rate limits, and isolation
// between accounts.
import { randomUUID } from "node:crypto"
import mongoose from "mongoose"
import { ApiTokenModel } from "@/services/mongoose/api-tokens-schema"
import { testStack } from "../harness/stack-state"
import { waitForLogLine } from "../support/api-log"
import { accessTokenFor, createApiToken, gql, merchantWithToken, revokeApiToken } from "../support/api-tokens"
import { announceToStack } from "../support/announce"
import { devSession } from "../support/tokens"

const stack = testStack()
const ME = "{ me { id defaultAccount { id defaultWalletId wallets { id } } } }"

const postWithId = async (jwt: string, query: string) => {
  const requestId = randomUUID()
  const res = await fetch(stack.urls.graphql, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${jwt}`, "x-request-id": requestId },
    body: JSON.stringify({ query }),
  })
  return { res, requestId }
}

describe("requests with API-token JWTs", () => {
  beforeAll(async () => {
    await mongoose.connect(stack.urls.mongodb)
  })
  afterAll(async () => mongoose.disconnect())

  it("refuses a JWT of an API token that expired after the JWT was issued (api_token_expired)", async () => {
    const { token, jwt } = await merchantWithToken(["read"])
    await ApiTokenModel.updateOne({ _id: token.id }, { $set: { expiresAt: new Date(Date.now() - 1000) } })
    await announceToStack({ tokenId: token.id }) // the token hook cached the unexpired record at the exchange
    const { res, requestId } = await postWithId(jwt, ME)
    expect(res.status).toBe(401)
    expect(await waitForLogLine((l) => l.requestId === requestId)).toMatchObject({ reason: "api_token_expired" })
  })

  it("refuses a JWT of a revoked token (token_revoked)", async () => {
    const { session, token, jwt } = await merchantWithToken(["read"])
    await revokeApiToken(session.token, token.id)
    const { res, requestId } = await postWithId(jwt, ME)
    expect(res.status).toBe(401)
    expect(await waitForLogLine((l) => l.requestId === requestId)).toMatchObject({ reason: "token_revoked" })
  })

  it("answers a protected field without any token with UNAUTHENTICATED", async () => {
    const { status, body } = await gql(undefined, ME)
    expect(status).toBe(200)
    expect(body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED")
    expect(body.data?.me ?? null).toBeNull()
  })

  it("limits a token to its own rateLimitPerMinute: 429 with Retry-After, then TOO_MANY_REQUESTS", async () => {
    const { jwt } = await merchantWithToken(["read"], { rateLimitPerMinute: 3 })
    const statuses: number[] = []
    let last: Response | undefined
    for (let i = 0; i < 4; i++) {
      last = (await postWithId(jwt, ME)).res
      statuses.push(last.status)
    }
    expect(statuses).toEqual([200, 200, 200, 429])
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThan(0)
    const body = (await last!.json()) as { errors: Array<{ extensions: { code: string; retryAfterSeconds: number } }> }
    expect(body.errors[0]!.extensions).toMatchObject({ code: "TOO_MANY_REQUESTS", retryAfterSeconds: expect.any(Number) })
  })

  it("keeps account A's token away from account B's data", async () => {
    const a = await merchantWithToken(["read", "write"])
    const b = await devSession()
    const bMe = (await gql(b.token, ME)).body.data.me
    const bWallet = bMe.defaultAccount.defaultWalletId as string
    const bInvoice = (
      await gql(b.token, `mutation { lnInvoiceCreate(input: { walletId: "${bWallet}", amount: 100 }) { invoice { paymentRequest } } }`)
    ).body.data.lnInvoiceCreate.invoice.paymentRequest as string

    const aMe = (await gql(a.jwt, ME)).body.data.me
    expect(aMe.defaultAccount.id).toBe(a.session.accountId)
    expect(aMe.defaultAccount.wallets.map((w: { id: string }) => w.id)).not.toContain(bWallet)

    // creating an invoice on B's wallet, paying from it, reading its transactions: all "not found"
    const onB = await gql(a.jwt, `mutation { lnInvoiceCreate(input: { walletId: "${bWallet}", amount: 100 }) { invoice { paymentRequest } errors { code } } }`)
    expect(onB.body.data.lnInvoiceCreate).toEqual({ invoice: null, errors: [{ code: "WALLET_NOT_FOUND" }] })
    const fromB = await gql(
      a.jwt,
      `mutation { intraLedgerPaymentSend(input: { walletId: "${bWallet}", recipientWalletId: "${aMe.defaultAccount.defaultWalletId}", amount: 1 }) { status errors { code } } }`,
    )
    expect(fromB.body.data.intraLedgerPaymentSend.errors).toEqual([{ code: "WALLET_NOT_FOUND" }])
    const txs = await gql(a.jwt, `{ me { defaultAccount { transactions(first: 10, walletIds: ["${bWallet}"]) { edges { cursor } } } } }`)
    expect(txs.body.data?.me?.defaultAccount?.transactions?.edges ?? []).toEqual([])
    const status = await gql(a.jwt, `query { lnInvoicePaymentStatus(input: { paymentRequest: "${bInvoice}" }) { status errors { code } } }`)
    expect(status.body.data.lnInvoicePaymentStatus).toEqual({ status: null, errors: [{ code: "INVOICE_NOT_FOUND" }] })
  })

  it("never lets an API token create another token, even with every scope", async () => {
    const session = await devSession()
    const token = await createApiToken(session.token, { scopes: ["read", "receive", "write"] })
    const jwt = await accessTokenFor(token)
    const { body } = await gql(jwt, `mutation { apiTokenCreate(input: { name: "escalate", scopes: ["write"] }) { apiToken { clientSecret } } }`)
    expect(body.errors?.[0]?.extensions?.code).toBe("API_TOKEN_NOT_ALLOWED")
    expect(body.data?.apiTokenCreate ?? null).toBeNull()
  })
})
