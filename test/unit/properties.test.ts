// Property-based tests over the parsers at the edge: whatever arrives, they
// answer with a value or their documented error — they never throw.
import fc from "fast-check"
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from "jose"
import { ConfigError, loadConfig } from "@/config"
import { AUTH_REJECTION_REASONS, AuthRejection, checkedToBearerToken } from "@/domain/auth"
import { ipAllowed } from "@/domain/auth/ip-allowlist"
import { createJwtVerifier } from "@/services/jwks/verify-jwt"

const b64 = (s: string) => Buffer.from(s).toString("base64url")

describe("edge parsers never crash", () => {
  it("the Authorization header reader returns a token or a documented rejection", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.anything()), (raw) => {
        const r = checkedToBearerToken(raw)
        if (r instanceof AuthRejection) expect(AUTH_REJECTION_REASONS).toContain(r.reason)
        else expect(typeof r).toBe("string")
      }),
    )
  })

  it("the JWT verifier answers any token-shaped input with a documented rejection", async () => {
    const { privateKey, publicKey } = await generateKeyPair("ES256")
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" }
    const keys = { url: "local", getKey: createLocalJWKSet({ keys: [jwk] }), ensureLoaded: async () => true as const, keyCount: () => 1 }
    const verify = createJwtVerifier({
      issuers: [{ kind: "hydra", issuer: "https://issuer.test", keys, algorithms: ["ES256"] }],
      clockToleranceSeconds: 5,
      maxAgeSeconds: 3600,
    })
    const reasons = new Set<string>(AUTH_REJECTION_REASONS)
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.tuple(fc.json(), fc.json(), fc.string()).map(([h, p, s]) => `${b64(h)}.${b64(p)}.${b64(s)}`),
          fc
            .record({ alg: fc.constantFrom("none", "HS256", "ES256", "RS256", ""), kid: fc.string() })
            .map((h) => `${b64(JSON.stringify(h))}.${b64(JSON.stringify({ iss: "https://issuer.test", sub: "x" }))}.`),
        ),
        async (token) => {
          const r = await verify(token)
          expect(r).toBeInstanceOf(AuthRejection)
          expect(reasons.has((r as AuthRejection).reason)).toBe(true)
        },
      ),
      { numRuns: 300 },
    )
    // and the same verifier accepts a genuine token, so the property is not vacuous
    const good = await new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuer("https://issuer.test")
      .setSubject("x")
      .setIssuedAt()
      .setExpirationTime("1m")
      .sign(privateKey)
    expect(await verify(good)).toMatchObject({ kind: "hydra" })
  })

  it("the config loader returns a config or a ConfigError naming variables", () => {
    const keys = ["API_PORT", "MONGODB_URI", "REDIS_URL", "HYDRA_PUBLIC_URL", "TOKEN_HOOK_SECRET", "FLASH_DEV_MODE", "NODE_ENV", "HYDRA_ALGORITHMS", "JWT_MAX_AGE_SECONDS"]
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), fc.string()), (env) => {
        try {
          loadConfig(env)
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError)
        }
      }),
    )
  })

  it("the IP allowlist check answers true or false for any strings", () => {
    fc.assert(
      fc.property(fc.option(fc.string()), fc.array(fc.oneof(fc.string(), fc.ipV4(), fc.ipV6())), (ip, list) => {
        expect(typeof ipAllowed(ip ?? undefined, list)).toBe("boolean")
      }),
    )
  })
})
