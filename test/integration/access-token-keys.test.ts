// API-token JWTs verify only with keys of Hydra's access-token set
// (hydra.jwt.access-token). Hydra publishes its OpenID key set
// (hydra.openid.id-token) in the same public JWKS: a JWT signed by one of those
// keys, with claims copied from a real API-token JWT, must be refused.
import { randomUUID } from "node:crypto"
import { decodeJwt, importJWK, JWK, SignJWT } from "jose"
import { testStack } from "../harness/stack-state"
import { merchantWithToken } from "../support/api-tokens"
import { readMetrics, sample } from "../support/metrics"
import { graphqlPost } from "../support/tokens"

const stack = testStack()
const OPENID_SET = "hydra.openid.id-token"
const QUERY = { query: "{ me { defaultAccount { id } } }" }

const adminKeys = async (set: string) => {
  const res = await fetch(`${stack.urls.hydraAdmin}/admin/keys/${set}`)
  expect(res.status).toBe(200)
  return ((await res.json()) as { keys: JWK[] }).keys
}

const publishedKids = async () =>
  ((await (await fetch(stack.urls.jwks)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid)

/** The claims of a real API-token JWT, re-signed with another key. */
const resign = async (jwt: string, jwk: JWK, alg: string) =>
  new SignJWT(decodeJwt(jwt)).setProtectedHeader({ alg, kid: jwk.kid!, typ: "JWT" }).sign(await importJWK(jwk, alg))

const rejectedFor = async (reason: string) =>
  sample(await readMetrics(), "flashapi_auth_outcomes_total", { transport: "http", outcome: "rejected", reason })

describe("the access-token key set", () => {
  const addedKid = `flash-test-openid-es256-${randomUUID()}`

  afterAll(async () => {
    // Leave Hydra's OpenID set as it was.
    await fetch(`${stack.urls.hydraAdmin}/admin/keys/${OPENID_SET}/${addedKid}`, { method: "DELETE" })
  })

  it("refuses a JWT signed by an ES256 key that Hydra publishes in its OpenID set, with key_not_allowed; the real JWT passes", async () => {
    const { jwt } = await merchantWithToken(["read"])
    expect((await graphqlPost(QUERY, { authorization: `Bearer ${jwt}` })).status).toBe(200)

    // A key of the OpenID set with the access tokens' algorithm: only the set tells them apart.
    const created = await fetch(`${stack.urls.hydraAdmin}/admin/keys/${OPENID_SET}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ alg: "ES256", use: "sig", kid: addedKid }),
    })
    expect(created.status).toBe(201)
    const openidKey = ((await created.json()) as { keys: JWK[] }).keys[0]!
    expect(await publishedKids()).toContain(addedKid)
    expect((await adminKeys("hydra.jwt.access-token")).map((k) => k.kid)).not.toContain(addedKid)

    const forged = await resign(jwt, openidKey, "ES256")
    const before = await rejectedFor("key_not_allowed")
    const res = await graphqlPost(QUERY, { authorization: `Bearer ${forged}` })
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ errors: [{ message: "Not authenticated", extensions: { code: "UNAUTHENTICATED" } }] })
    expect((await rejectedFor("key_not_allowed")) - before).toBeGreaterThanOrEqual(1)

    expect((await graphqlPost(QUERY, { authorization: `Bearer ${jwt}` })).status).toBe(200)
  })

  it("refuses a JWT signed by Hydra's RS256 OpenID key: RS256 is not accepted by default", async () => {
    const { jwt } = await merchantWithToken(["read"])
    const rsa = (await adminKeys(OPENID_SET)).find((k) => k.alg === "RS256")
    expect(rsa).toBeDefined()
    expect(await publishedKids()).toContain(rsa!.kid)
    const forged = await resign(jwt, rsa!, "RS256")
    const before = await rejectedFor("alg_not_allowed")
    const res = await graphqlPost(QUERY, { authorization: `Bearer ${forged}` })
    expect(res.status).toBe(401)
    expect((await rejectedFor("alg_not_allowed")) - before).toBeGreaterThanOrEqual(1)
  })
})
