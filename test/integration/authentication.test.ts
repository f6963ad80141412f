// The attack table: every way to present a bad token over HTTP is refused with
// 401 UNAUTHENTICATED, and the API logs the exact reason code (never the token).
import { readFileSync } from "node:fs"
import { request } from "node:http"
import { join } from "node:path"
import { randomUUID } from "node:crypto"
import { generateKeyPair, SignJWT } from "jose"
import { testStack } from "../harness/stack-state"
import { apiLogLines, waitForLogLine } from "../support/api-log"
import { devSession, graphqlPost, now, sessionIssuer, signWithDevKey } from "../support/tokens"

const stack = testStack()
const query = { query: "{ globals { network } }" }
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url")

const hydraAccessKey = async () => {
  const res = await fetch(`${stack.urls.hydraAdmin}/admin/keys/hydra.jwt.access-token`)
  const { keys } = (await res.json()) as { keys: Array<Record<string, string>> }
  const { kid, kty, crv, x, y, alg, use } = keys[0]!
  return { kid: kid!, publicJwk: { kid, kty, crv, x, y, alg, use } }
}

/** A one-minute token that claims to come from Hydra, signed with whatever key and alg a test picks. */
const forgedHydraToken = (alg: string, kid: string, key: Parameters<SignJWT["sign"]>[0]) =>
  new SignJWT({ client_id: "x", scp: ["read"] })
    .setProtectedHeader({ alg, kid })
    .setIssuer(stack.urls.hydraPublic)
    .setSubject("x")
    .setIssuedAt()
    .setExpirationTime("1m")
    .sign(key)

type Case = [name: string, header: () => Promise<string>, reason: string]

const cases: Case[] = [
  ["a malformed header", async () => "Token abc", "malformed_header"],
  ["a garbage token", async () => "Bearer aaaa.bbbb.cccc", "malformed_token"],
  [
    "alg none",
    async () => `Bearer ${b64({ alg: "none", typ: "JWT" })}.${b64({ iss: stack.urls.hydraPublic, sub: "x", exp: now() + 60, iat: now() })}.`,
    "alg_not_allowed",
  ],
  [
    "HS256 signed with Hydra's public key as the secret",
    async () => {
      const { kid, publicJwk } = await hydraAccessKey()
      return `Bearer ${await forgedHydraToken("HS256", kid, new TextEncoder().encode(JSON.stringify(publicJwk)))}`
    },
    "alg_not_allowed",
  ],
  [
    "a valid signature from a foreign key that claims Hydra's kid",
    async () => {
      const { kid } = await hydraAccessKey()
      return `Bearer ${await forgedHydraToken("ES256", kid, (await generateKeyPair("ES256")).privateKey)}`
    },
    "bad_signature",
  ],
  [
    "a foreign key with a kid Hydra never published",
    async () =>
      `Bearer ${await forgedHydraToken("ES256", `forged-${randomUUID()}`, (await generateKeyPair("ES256")).privateKey)}`,
    "unknown_key",
  ],
  [
    "a wrong issuer",
    async () => `Bearer ${await signWithDevKey({ iss: "https://evil.example", sub: "u", iat: now(), exp: now() + 60 })}`,
    "unknown_issuer",
  ],
  [
    "an expired token",
    async () => `Bearer ${await signWithDevKey({ iss: sessionIssuer(), sub: "u", iat: now() - 600, exp: now() - 300 })}`,
    "token_expired",
  ],
  [
    "nbf in the future",
    async () =>
      `Bearer ${await signWithDevKey({ iss: sessionIssuer(), sub: "u", iat: now(), nbf: now() + 600, exp: now() + 900 })}`,
    "token_not_yet_valid",
  ],
  [
    // RS256, the session issuer's algorithm, is not one Hydra's access tokens may use (HYDRA_ALGORITHMS=ES256).
    "a user-session token replayed as if from Hydra",
    async () =>
      `Bearer ${await signWithDevKey({ iss: stack.urls.hydraPublic, sub: "client", client_id: "client", iat: now(), exp: now() + 60 })}`,
    "alg_not_allowed",
  ],
  [
    "a session whose user does not exist",
    async () => `Bearer ${await signWithDevKey({ iss: sessionIssuer(), sub: randomUUID(), iat: now(), exp: now() + 60 })}`,
    "unknown_user",
  ],
  ["a 20 KB header", async () => `Bearer ${"a".repeat(20_000)}.b.c`, "header_too_large"],
]

describe("authentication over HTTP", () => {
  it("accepts a real user session", async () => {
    const { token } = await devSession()
    const res = await graphqlPost(query, { authorization: `Bearer ${token}` })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ data: { globals: { network: "regtest" } } })
  })

  it("serves public fields without a token", async () => {
    const res = await graphqlPost(query)
    expect(res.status).toBe(200)
  })

  it.each(cases)("refuses %s with 401 and logs the reason", async (_name, header, reason) => {
    const requestId = randomUUID()
    const authorization = await header()
    const res = await graphqlPost(query, { authorization, "x-request-id": requestId })
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ errors: [{ message: "Not authenticated", extensions: { code: "UNAUTHENTICATED" } }] })
    const line = await waitForLogLine((l) => l.requestId === requestId)
    expect(line).toMatchObject({ reason, msg: "authentication rejected" })
  })

  it("refetches Hydra's JWKS about once a second at most while forged kids keep coming (no refetch storm)", async () => {
    // Hydra logs every request it serves: count the JWKS fetches jose made.
    const fetches = async () => {
      await new Promise((r) => setTimeout(r, 300))
      return readFileSync(join(stack.dataDir, "logs", "hydra.log"), "utf8")
        .split("\n")
        .filter((l) => l.includes('"path":"/.well-known/jwks.json"') && l.includes("http_response") && l.includes("jose/")).length
    }
    const before = await fetches()
    const { privateKey } = await generateKeyPair("ES256")
    const started = Date.now()
    const statuses: number[] = []
    // five callers sending tokens with fresh forged kids for three seconds
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        while (Date.now() - started < 3000) {
          const jwt = await forgedHydraToken("ES256", `storm-${randomUUID()}`, privateKey)
          statuses.push((await graphqlPost(query, { authorization: `Bearer ${jwt}` })).status)
        }
      }),
    )
    const seconds = (Date.now() - started) / 1000
    expect(statuses.length).toBeGreaterThan(5)
    expect(statuses.every((s) => s === 401)).toBe(true)
    // jose's own fetch and our shared one per second, plus one from a replica another test may start
    expect((await fetches()) - before).toBeLessThanOrEqual(2 * Math.ceil(seconds) + 1)
  })

  it("refuses a 1 MB header before reading it (431 from the HTTP parser)", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(stack.urls.graphql, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${"a".repeat(1024 * 1024)}` },
      })
      req.on("response", (res) => resolve(res.statusCode ?? 0))
      req.on("error", reject)
      req.end(JSON.stringify(query))
    })
    expect(status).toBe(431)
  })

  it("never writes a presented token into the log", async () => {
    const secretish = await signWithDevKey({ iss: "https://evil.example", sub: "u", iat: now(), exp: now() + 60 })
    const requestId = randomUUID()
    await graphqlPost(query, { authorization: `Bearer ${secretish}`, "x-request-id": requestId })
    await waitForLogLine((l) => l.requestId === requestId)
    const signature = secretish.split(".")[2]!
    expect(apiLogLines().some((l) => JSON.stringify(l).includes(signature))).toBe(false)
  })
})
