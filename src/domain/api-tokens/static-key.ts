// Static-key mode: a token created with `staticKey: true` may send its secret
// (the same `flash_sk_…` value that is its OAuth2 client secret) as the Bearer
// itself, as the BTCPay Flash plugin 1.5.x and the seed's curl do. Only digests
// of the secret are stored:
//   keyId     sha256(secret), hex: the `_id` of its key document, so one `_id`
//             lookup finds the token (no scan, no secondary index);
//   verifier  sha256 of the secret under another label, compared in constant
//             time with what the request sent, so a store whose `_id` match is
//             not byte-exact (a collation, a prefix index) cannot let a near
//             miss through, and the check does not depend on how the lookup key
//             is derived.
// The secret is 256 random bits: a fast hash is enough (no PBKDF2/scrypt, which
// only help low-entropy passwords); Hydra keeps its own PBKDF2 hash for OAuth2.
import { createHash, timingSafeEqual } from "node:crypto"
import type { ApiTokenClientId, ApiTokenId } from "./api-token"

/** A key document: written for every credential, so a token that did not opt in can be told apart. */
export type ApiTokenStaticKey = {
  keyId: string
  verifier: string
  tokenId: ApiTokenId
  clientId: ApiTokenClientId
  /** false: the secret authenticates only at the token endpoint (API_TOKEN_OAUTH2_ONLY). */
  staticKey: boolean
  createdAt: Date
}

export const staticKeyId = (secret: string): string => createHash("sha256").update(secret, "utf8").digest("hex")

export const staticKeyVerifier = (secret: string): string =>
  createHash("sha256").update("flash static key verifier v1\0", "utf8").update(secret, "utf8").digest("hex")

/** Constant-time comparison of the stored verifier with the secret's. */
export const staticKeyMatches = (storedVerifier: string, secret: string): boolean => {
  const expected = Buffer.from(storedVerifier, "hex")
  const actual = Buffer.from(staticKeyVerifier(secret), "hex")
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

export const staticKeyDigests = (secret: string) => ({ keyId: staticKeyId(secret), verifier: staticKeyVerifier(secret) })
