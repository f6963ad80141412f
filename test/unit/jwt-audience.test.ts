// The verifier's audience rule: off unless JWT_AUDIENCE is set; then `aud`
// (a string or an array) must name it.
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from "jose"
import { AuthRejection } from "@/domain/auth"
import type { RemoteKeySet } from "@/services/jwks/remote-key-set"
import { createJwtVerifier } from "@/services/jwks/verify-jwt"

const ISSUER = "https://hydra.test"

const setup = async (audience?: string) => {
  const { privateKey, publicKey } = await generateKeyPair("ES256")
  const local = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" }] })
  const keys: RemoteKeySet = { url: "local", getKey: local, ensureLoaded: async () => true as const, keyCount: () => 1 }
  const verify = createJwtVerifier({
    issuers: [{ kind: "hydra", issuer: ISSUER, keys, algorithms: ["ES256"] }],
    clockToleranceSeconds: 5,
    maxAgeSeconds: 3600,
    audience,
    cacheMax: 0,
  })
  const sign = (aud?: string | string[]) => {
    const jwt = new SignJWT({ client_id: "c1" }).setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuer(ISSUER).setSubject("c1").setIssuedAt().setExpirationTime("1m")
    return (aud === undefined ? jwt : jwt.setAudience(aud)).sign(privateKey)
  }
  return { verify, sign }
}

const outcome = (r: unknown) => (r instanceof AuthRejection ? r.message : "accepted")

describe("JWT audience", () => {
  it("accepts a JWT with no audience, or any audience, when JWT_AUDIENCE is unset", async () => {
    const s = await setup()
    expect(outcome(await s.verify(await s.sign()))).toBe("accepted")
    expect(outcome(await s.verify(await s.sign([])))).toBe("accepted")
    expect(outcome(await s.verify(await s.sign("https://other.example")))).toBe("accepted")
  })

  it("requires the configured audience when JWT_AUDIENCE is set", async () => {
    const s = await setup("https://api.flash.example")
    expect(outcome(await s.verify(await s.sign("https://api.flash.example")))).toBe("accepted")
    expect(outcome(await s.verify(await s.sign(["https://x.example", "https://api.flash.example"])))).toBe("accepted")
    expect(outcome(await s.verify(await s.sign()))).toBe("claim_invalid: aud")
    expect(outcome(await s.verify(await s.sign([])))).toBe("claim_invalid: aud")
    expect(outcome(await s.verify(await s.sign("https://other.example")))).toBe("claim_invalid: aud")
  })
})
