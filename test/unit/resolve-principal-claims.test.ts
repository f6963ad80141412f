// The claim checks of an API-token JWT, with in-memory ports: the token_id
// claim must name the token of the client's record, and the record's account
// must be the account the lookup found (claim_invalid otherwise).
import { createPrincipalResolver, ResolvedApiToken } from "@/app/auth/resolve-principal"
import type { Account, AccountId, UserId } from "@/domain/accounts"
import { ApiToken, ApiTokenClientId } from "@/domain/api-tokens"
import { AuthRejection } from "@/domain/auth"
import { anAccount, anApiToken } from "../support/domain-fixtures"

const account: Account = anAccount({ userId: "u-1" as UserId })
const token: ApiToken = anApiToken()

const resolverWith = (claims: Record<string, unknown>, record: Partial<ResolvedApiToken> = {}) =>
  createPrincipalResolver({
    verify: async () => ({ kind: "hydra", payload: { scp: ["read"], exp: Math.floor(Date.now() / 1000) + 60, ...claims }, jti: "j" }),
    lookupApiToken: async () => ({
      token,
      client: { clientId: "client-1" as ApiTokenClientId, tokenId: token.id, accountId: account.id, createdAt: new Date(0), notAfter: undefined },
      account,
      ...record,
    }),
    lookupUserAccount: async () => account,
    invalidations: { isRevoked: () => false, onInvalidated: () => () => undefined },
    cacheTtlMs: 0,
  })

const outcome = async (claims: Record<string, unknown>, record: Partial<ResolvedApiToken> = {}) => {
  const r = await resolverWith(claims, record).resolve("Bearer a.b.c", "127.0.0.1")
  return r instanceof AuthRejection ? r.message : r.principal.kind
}

describe("the claims of an API-token JWT", () => {
  it("accepts a token_id claim that names the client's token", async () => {
    expect(await outcome({ client_id: "client-1", token_id: "tok-1" })).toBe("apiToken")
  })

  it("refuses a token_id claim naming another token (claim_invalid)", async () => {
    expect(await outcome({ client_id: "client-1", token_id: "tok-2" })).toBe("claim_invalid: token_id")
  })

  it("refuses a record whose token belongs to another account than the one found (claim_invalid)", async () => {
    expect(await outcome({ client_id: "client-1", token_id: "tok-1" }, { token: { ...token, accountId: "acc-2" as AccountId } })).toBe(
      "claim_invalid: token_id",
    )
  })

  it("refuses a JWT with neither client_id nor sub as a string (claim_invalid)", async () => {
    expect(await outcome({ client_id: 42, sub: undefined })).toBe("claim_invalid: client_id")
  })
})
