// API-token JWTs verify only with keys of Hydra's access-token set, although
// the public JWKS also carries other keys (Hydra's OpenID key).
import { createLocalJWKSet, exportJWK, generateKeyPair, JWK, SignJWT } from "jose"
import { AuthRejection } from "@/domain/auth"
import { hydraAccessTokenKeyIds, keyIdsOf, restrictToKeyIds } from "@/services/jwks/access-token-key-ids"
import type { RemoteKeySet } from "@/services/jwks/remote-key-set"
import { createJwtVerifier } from "@/services/jwks/verify-jwt"

const ISSUER = "https://hydra.test"

const keyPair = async (kid: string) => {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true })
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } as JWK, privateJwk: { ...(await exportJWK(privateKey)), kid } }
}

const setup = async () => {
  const access = await keyPair("access-1")
  const openid = await keyPair("openid-1")
  const rotated = await keyPair("access-2")
  // The public JWKS publishes the access-token key and the OpenID key.
  let published = [access.publicJwk, openid.publicJwk]
  const publicKeys: RemoteKeySet = {
    url: "local",
    getKey: (header, token) => createLocalJWKSet({ keys: published })(header, token),
    ensureLoaded: async () => true as const,
    keyCount: () => published.length,
  }
  // Hydra's admin answer for the access-token set carries private parts too.
  let accessSet = [access.privateJwk]
  let adminCalls = 0
  let adminDown = false
  const fetchImpl = (async () => {
    adminCalls++
    if (adminDown) throw new Error("connect ECONNREFUSED")
    return new Response(JSON.stringify({ keys: accessSet }), { status: 200, headers: { "content-type": "application/json" } })
  }) as unknown as typeof fetch
  const allowList = hydraAccessTokenKeyIds("http://admin.test", { fetchImpl, minRefetchIntervalMs: 50 })
  const verify = createJwtVerifier({
    issuers: [{ kind: "hydra", issuer: ISSUER, keys: restrictToKeyIds(publicKeys, allowList), algorithms: ["ES256"] }],
    clockToleranceSeconds: 5,
    maxAgeSeconds: 3600,
    cacheMax: 0,
  })
  const sign = (k: { kid: string; privateKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"] }) =>
    new SignJWT({ client_id: "c1", scp: ["read"] })
      .setProtectedHeader({ alg: "ES256", kid: k.kid })
      .setIssuer(ISSUER)
      .setSubject("c1")
      .setIssuedAt()
      .setExpirationTime("1m")
      .sign(k.privateKey)
  return {
    access,
    openid,
    rotated,
    verify,
    sign,
    allowList,
    adminCalls: () => adminCalls,
    setAdminDown: (down: boolean) => {
      adminDown = down
    },
    rotate: () => {
      published = [...published, rotated.publicJwk]
      accessSet = [...accessSet, rotated.privateJwk]
    },
  }
}

const reasonOf = (r: unknown) => (r instanceof AuthRejection ? r.reason : "accepted")

describe("access-token key set", () => {
  it("accepts a JWT signed by a key of the access-token set", async () => {
    const s = await setup()
    expect(reasonOf(await s.verify(await s.sign(s.access)))).toBe("accepted")
  })

  it("refuses a JWT signed by a published key outside the access-token set (the OpenID key) with key_not_allowed", async () => {
    const s = await setup()
    expect(reasonOf(await s.verify(await s.sign(s.openid)))).toBe("key_not_allowed")
  })

  it("keeps a kid that nobody published as unknown_key", async () => {
    const s = await setup()
    expect(reasonOf(await s.verify(await s.sign(await keyPair("never-published"))))).toBe("unknown_key")
  })

  it("learns a key added to the access-token set by a rotation, with one admin call", async () => {
    const s = await setup()
    expect(reasonOf(await s.verify(await s.sign(s.access)))).toBe("accepted")
    const callsBefore = s.adminCalls()
    s.rotate()
    expect(reasonOf(await s.verify(await s.sign(s.rotated)))).toBe("accepted")
    expect(s.adminCalls()).toBe(callsBefore + 1)
  })

  it("shares one admin call among requests that wait for the same refetch", async () => {
    const s = await setup()
    await s.allowList.ensureLoaded()
    const before = s.adminCalls()
    const jwt = await s.sign(s.openid)
    const reasons = await Promise.all(Array.from({ length: 10 }, () => s.verify(jwt).then(reasonOf)))
    expect(reasons).toEqual(Array(10).fill("key_not_allowed"))
    expect(s.adminCalls()).toBe(before + 1)
  })

  it("keeps the kids it knows through an admin outage, and refuses unknown ones as jwks_unavailable before any list was read", async () => {
    const s = await setup()
    expect(reasonOf(await s.verify(await s.sign(s.access)))).toBe("accepted")
    s.setAdminDown(true)
    expect(reasonOf(await s.verify(await s.sign(s.access)))).toBe("accepted")
    expect(reasonOf(await s.verify(await s.sign(s.openid)))).toBe("key_not_allowed")

    const fresh = await setup()
    fresh.setAdminDown(true)
    expect(reasonOf(await fresh.verify(await fresh.sign(fresh.access)))).toBe("jwks_unavailable")
    expect(await fresh.allowList.ensureLoaded()).toBeInstanceOf(Error)
  })

  it("reads only the kids of Hydra's answer, never its private parts", () => {
    const kids = keyIdsOf({ keys: [{ kid: "a", d: "secret", kty: "EC" }, { kid: "b" }, { d: "no-kid" }] })
    expect(kids).toEqual(new Set(["a", "b"]))
    expect(JSON.stringify([...(kids as Set<string>)])).not.toContain("secret")
    expect(keyIdsOf({ nope: true })).toBeInstanceOf(Error)
  })
})
