// apiTokenUsability: every reason, the order in which they are reported, and that
// an input left out is not checked (the repository asks about the token alone).
import type { Account } from "@/domain/accounts"
import { apiTokenUsability, ApiToken } from "@/domain/api-tokens"
import { anAccount, anApiToken } from "../support/domain-fixtures"

const now = new Date("2030-01-01T00:00:00Z")
const before = new Date(now.getTime() - 1)
const after = new Date(now.getTime() + 1)
const locked = anAccount({ status: "LOCKED" })
const reasonOf = (...args: Parameters<typeof apiTokenUsability>) => {
  const u = apiTokenUsability(...args)
  return u.usable ? "usable" : u.reason
}
const token = (over: Partial<ApiToken> = {}) => anApiToken(over)

describe("apiTokenUsability", () => {
  it.each<[string, Parameters<typeof apiTokenUsability>, string]>([
    ["an ACTIVE token without expiry, alone", [token(), now], "usable"],
    ["an ACTIVE token with an ACTIVE account and a current client", [token(), now, { account: anAccount(), client: { notAfter: undefined } }], "usable"],
    ["a token that expires after now", [token({ expiresAt: after }), now], "usable"],
    ["a record the bus does not have as revoked", [token(), now, { revokedElsewhere: false }], "usable"],
    ["a client in its rotation grace", [token(), now, { client: { notAfter: after } }], "usable"],

    ["a record stored REVOKED", [token({ storedStatus: "REVOKED", revokedAt: before }), now], "revoked"],
    ["an ACTIVE record the bus has as revoked", [token(), now, { revokedElsewhere: true }], "revoked"],
    ["an expired token at its expiry instant", [token({ expiresAt: now }), now], "expired"],
    ["an expired token", [token({ expiresAt: before }), now], "expired"],
    ["a PENDING record", [token({ storedStatus: "PENDING" }), now], "pending"],
    ["a LOCKED account", [token(), now, { account: locked }], "account_locked"],
    ["an account of any status but ACTIVE (fails closed)", [token(), now, { account: { status: "CLOSED" as Account["status"] } }], "account_locked"],
    ["a client whose grace ends now", [token(), now, { client: { notAfter: now } }], "rotated_out"],
    ["a client whose grace ended", [token(), now, { client: { notAfter: before } }], "rotated_out"],
  ])("%s → %s", (_name, args, expected) => {
    expect(reasonOf(...args)).toBe(expected)
  })

  it.each<[string, Parameters<typeof apiTokenUsability>, string]>([
    ["revoked before expired", [token({ storedStatus: "REVOKED", expiresAt: before }), now], "revoked"],
    ["the bus's revocation before expired", [token({ expiresAt: before }), now, { revokedElsewhere: true }], "revoked"],
    ["expired before pending (an expired PENDING record frees its slot)", [token({ storedStatus: "PENDING", expiresAt: before }), now], "expired"],
    ["the bus's revocation before pending", [token({ storedStatus: "PENDING" }), now, { revokedElsewhere: true }], "revoked"],
    ["pending before the account", [token({ storedStatus: "PENDING" }), now, { account: locked }], "pending"],
    ["expired before the account", [token({ expiresAt: before }), now, { account: locked }], "expired"],
    ["the account before the client", [token(), now, { account: locked, client: { notAfter: before } }], "account_locked"],
    [
      "everything at once: revoked",
      [token({ storedStatus: "REVOKED", expiresAt: before }), now, { revokedElsewhere: true, account: locked, client: { notAfter: before } }],
      "revoked",
    ],
  ])("reports %s", (_name, args, expected) => {
    expect(reasonOf(...args)).toBe(expected)
  })

  it("checks no account and no client that is not given", () => {
    expect(reasonOf(token(), now, { account: undefined, client: undefined, revokedElsewhere: undefined })).toBe("usable")
    expect(reasonOf(token(), now, {})).toBe("usable")
  })

  it("answers { usable: true } or { usable: false, reason }", () => {
    expect(apiTokenUsability(token(), now)).toEqual({ usable: true })
    expect(apiTokenUsability(token({ expiresAt: before }), now)).toEqual({ usable: false, reason: "expired" })
  })
})
