// The verifier remembers a verified JWT by its exact text: the signature is
// checked once per token, while expiry and maximum age are checked on every use.
import { createLocalJWKSet, exportJWK, generateKeyPair, JWTPayload, SignJWT } from "jose"
import { AuthRejection } from "@/domain/auth"
import type { RemoteKeySet } from "@/services/jwks/remote-key-set"
import { createJwtVerifier } from "@/services/jwks/verify-jwt"

const ISSUER = "https://issuer.test"
const T0 = Date.parse("2026-11-28T00:00:00Z")

const setup = async (o: { cacheMax?: number; cacheTtlMs?: number; maxAgeSeconds?: number } = {}) => {
  const { privateKey, publicKey } = await generateKeyPair("ES256")
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" }
  const local = createLocalJWKSet({ keys: [jwk] })
  let keyLookups = 0
  const keys: RemoteKeySet = {
    url: "local",
    getKey: (...args: Parameters<typeof local>) => {
      keyLookups++
      return local(...args)
    },
    ensureLoaded: async () => true as const,
    keyCount: () => 1,
  } as unknown as RemoteKeySet
  let now = T0
  const verify = createJwtVerifier({
    issuers: [{ kind: "hydra", issuer: ISSUER, keys, algorithms: ["ES256"] }],
    clockToleranceSeconds: 5,
    maxAgeSeconds: o.maxAgeSeconds ?? 3600,
    cacheMax: o.cacheMax,
    cacheTtlMs: o.cacheTtlMs,
    now: () => now,
  })
  const sign = (claims: JWTPayload, expSeconds = 60) =>
    new SignJWT({ client_id: "c1", scp: ["read"], ...claims })
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuer(ISSUER)
      .setSubject("c1")
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(now / 1000) + expSeconds)
      .sign(privateKey)
  return {
    verify,
    sign,
    keyLookups: () => keyLookups,
    advance: (ms: number) => {
      now += ms
    },
  }
}

const reasonOf = (r: unknown) => (r instanceof AuthRejection ? r.reason : "accepted")

describe("verified-token cache", () => {
  it("checks the signature of a token once and answers the same token again from memory", async () => {
    const s = await setup()
    const jwt = await s.sign({})
    expect(await s.verify(jwt)).toMatchObject({ kind: "hydra", payload: { client_id: "c1" } })
    expect(s.keyLookups()).toBe(1)
    for (let i = 0; i < 5; i++) expect(reasonOf(await s.verify(jwt))).toBe("accepted")
    expect(s.keyLookups()).toBe(1)
  })

  it("refuses a cached token once it expires (beyond the clock tolerance), with token_expired", async () => {
    const s = await setup()
    const jwt = await s.sign({}, 60)
    expect(reasonOf(await s.verify(jwt))).toBe("accepted")
    s.advance(64_000) // exp + 4 s: inside the 5 s tolerance
    expect(reasonOf(await s.verify(jwt))).toBe("accepted")
    s.advance(2_000) // exp + 6 s
    expect(reasonOf(await s.verify(jwt))).toBe("token_expired")
  })

  it("refuses a cached token once it is older than the maximum age, with token_too_old", async () => {
    const s = await setup({ maxAgeSeconds: 30 })
    const jwt = await s.sign({}, 300)
    expect(reasonOf(await s.verify(jwt))).toBe("accepted")
    s.advance(36_000) // iat + 36 s > 30 s + 5 s tolerance
    expect(reasonOf(await s.verify(jwt))).toBe("token_too_old")
  })

  it("does not let a token with a changed signature or payload ride on a cached one", async () => {
    const s = await setup()
    const jwt = await s.sign({})
    expect(reasonOf(await s.verify(jwt))).toBe("accepted")
    const [h, p, sig] = jwt.split(".") as [string, string, string]
    const flipped = sig.slice(0, -2) + (sig.at(-2) === "A" ? "B" : "A") + sig.at(-1)
    expect(reasonOf(await s.verify(`${h}.${p}.${flipped}`))).toBe("bad_signature")
    const otherPayload = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(p, "base64url").toString()), client_id: "c2" }),
    ).toString("base64url")
    expect(reasonOf(await s.verify(`${h}.${otherPayload}.${sig}`))).toBe("bad_signature")
  })

  it("hands out a frozen payload, so no request can change what the next one sees", async () => {
    const s = await setup()
    const jwt = await s.sign({})
    await s.verify(jwt)
    const hit = await s.verify(jwt)
    if (hit instanceof AuthRejection) throw hit
    expect(() => {
      ;(hit.payload as { client_id: string }).client_id = "someone-else"
    }).toThrow(TypeError)
    expect(() => (hit.payload.scp as string[]).push("write")).toThrow(TypeError)
    expect(await s.verify(jwt)).toMatchObject({ payload: { client_id: "c1", scp: ["read"] } })
  })

  it("verifies every time when the cache is turned off (cacheMax 0)", async () => {
    const s = await setup({ cacheMax: 0 })
    const jwt = await s.sign({})
    for (let i = 0; i < 3; i++) expect(reasonOf(await s.verify(jwt))).toBe("accepted")
    expect(s.keyLookups()).toBe(3)
  })

  it("forgets the oldest tokens beyond cacheMax and verifies them again when they come back", async () => {
    const s = await setup({ cacheMax: 2 })
    const [a, b, c] = await Promise.all([s.sign({ n: 1 }), s.sign({ n: 2 }), s.sign({ n: 3 })])
    for (const t of [a!, b!, c!]) await s.verify(t)
    expect(s.keyLookups()).toBe(3)
    await s.verify(c!)
    await s.verify(b!)
    expect(s.keyLookups()).toBe(3)
    expect(reasonOf(await s.verify(a!))).toBe("accepted")
    expect(s.keyLookups()).toBe(4)
  })

  it("verifies a remembered token again after cacheTtlMs, so a withdrawn signing key takes effect", async () => {
    const s = await setup({ cacheTtlMs: 50 })
    const jwt = await s.sign({}, 300)
    await s.verify(jwt)
    await s.verify(jwt)
    expect(s.keyLookups()).toBe(1)
    await new Promise((r) => setTimeout(r, 80))
    expect(reasonOf(await s.verify(jwt))).toBe("accepted")
    expect(s.keyLookups()).toBe(2)
  })
})
