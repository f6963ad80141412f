// Rules of the token lifecycle that no other test pinned: rotating a revoked
// or an expired token is refused with its code and issues nothing, and a
// hook-issued JWT whose token_id claim names another token than its client's
// record is refused by the running API (claim_invalid).
import { ApiTokensDeps, createApiToken, revokeApiToken, rotateApiToken } from "@/app/api-tokens"
import { mapError } from "@/graphql/error-map"
import { ApiTokenClientModel, ApiTokenModel } from "@/services/mongoose/api-tokens-schema"
import { waitForLogLine } from "../../support/api-log"
import { announce, exchange, hydraClient, newMerchant, setUp, stack, tearDown, unwrap } from "./helpers"

let deps: ApiTokensDeps
beforeAll(async () => {
  deps = await setUp()
})
afterAll(tearDown)

const callApi = async (jwt: string, requestId = `rules-${Math.random().toString(36).slice(2)}`) => {
  const res = await fetch(stack.urls.graphql, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${jwt}`, "x-request-id": requestId },
    body: JSON.stringify({ query: "{ me { id } }" }),
  })
  return { status: res.status, body: (await res.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> } }
}

describe("rotating a token that is no longer active", () => {
  it.each([
    ["revoked", async (m: Awaited<ReturnType<typeof newMerchant>>, id: string) => unwrap(await revokeApiToken({ caller: m.caller, id }, deps))],
    [
      "expired",
      async (_m: Awaited<ReturnType<typeof newMerchant>>, id: string) =>
        ApiTokenModel.updateOne({ _id: id }, { $set: { expiresAt: new Date(Date.now() - 1000) } }),
    ],
  ])("is refused for a %s token with API_TOKEN_NOT_ACTIVE, and creates no client", async (_what, makeInactive) => {
    const m = await newMerchant()
    const created = unwrap(await createApiToken({ caller: m.caller, name: `inactive-${Math.random()}`, scopes: ["read"] }, deps))
    await makeInactive(m, created.token.id)
    const clientsBefore = await ApiTokenClientModel.find({ tokenId: created.token.id }).lean()

    const r = await rotateApiToken({ caller: m.caller, id: created.token.id }, deps)
    expect(r).toBeInstanceOf(Error)
    expect(mapError(r as Error).code).toBe("API_TOKEN_NOT_ACTIVE")
    const clientsAfter = await ApiTokenClientModel.find({ tokenId: created.token.id }).lean()
    expect(clientsAfter.map((c) => c._id).sort()).toEqual(clientsBefore.map((c) => c._id).sort())
    // The old credentials still get nothing from Hydra.
    expect((await exchange(created.clientId, created.clientSecret)).status).not.toBe(200)
  })

  it("still rotates an active token (the refusal above is about status, not rotation)", async () => {
    const m = await newMerchant()
    const created = unwrap(await createApiToken({ caller: m.caller, name: `active-${Math.random()}`, scopes: ["read"] }, deps))
    const rotated = unwrap(await rotateApiToken({ caller: m.caller, id: created.token.id }, deps))
    expect((await hydraClient(rotated.clientId)).status).toBe(200)
  })
})

describe("the token_id claim", () => {
  it("refuses (claim_invalid) a JWT whose token_id claim differs from the token its client record names", async () => {
    const m = await newMerchant()
    const a = unwrap(await createApiToken({ caller: m.caller, name: `claim-a-${Math.random()}`, scopes: ["read"] }, deps))
    const b = unwrap(await createApiToken({ caller: m.caller, name: `claim-b-${Math.random()}`, scopes: ["read"] }, deps))
    const jwtA = await exchange(a.clientId, a.clientSecret)
    const jwtB = await exchange(b.clientId, b.clientSecret)
    expect(jwtA.claims).toMatchObject({ token_id: a.token.id })
    // Point A's client record at token B, announced so the API drops what its token hook cached at the exchange.
    await ApiTokenClientModel.updateOne({ _id: a.clientId }, { $set: { tokenId: b.token.id } })
    await announce({ tokenId: a.token.id })

    const requestId = `claim-${Math.random().toString(36).slice(2)}`
    const refused = await callApi(jwtA.body.access_token as string, requestId)
    expect(refused.status).toBe(401)
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED")
    // This very request's rejection, with its reason.
    const logged = await waitForLogLine((l) => l.msg === "authentication rejected" && l.requestId === requestId, 20_000)
    expect(logged).toMatchObject({ reason: "claim_invalid", transport: "http" })
    // B's own JWT, whose claim matches its record, is served.
    const served = await callApi(jwtB.body.access_token as string)
    expect(served.status).toBe(200)
    expect(served.body.errors).toBeUndefined()
  })
})
