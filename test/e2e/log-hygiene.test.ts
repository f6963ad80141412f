// No secret reaches a log: a token's whole life (create, exchange, HTTP and
// WebSocket calls, failed calls, rotate, revoke, use after revoke) runs against
// the stack, then every log file of the stack (the API, Hydra, FerretDB) is
// scanned for the client secrets, the access tokens (whole and their signature
// part), the connection strings and the session JWT.
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { createClient } from "graphql-ws"
import WebSocket from "ws"
import { testStack } from "../harness/stack-state"
import { accessTokenFor, createApiToken, gql, requestAccessToken, revokeApiToken } from "../support/api-tokens"
import { waitForLogLine } from "../support/api-log"
import { eventually } from "../support/eventually"
import { devSession, graphqlPost } from "../support/tokens"

const stack = testStack()

const wsQuery = async (authorization: string) => {
  const client = createClient({ url: stack.urls.graphqlWs, webSocketImpl: WebSocket, connectionParams: { Authorization: authorization }, retryAttempts: 0, lazy: true })
  try {
    return await new Promise<unknown>((resolve) => {
      let result: unknown
      client.subscribe({ query: "{ me { defaultAccount { id } } }" }, { next: (r) => (result = r), error: (e) => resolve(e), complete: () => resolve(result) })
    })
  } finally {
    await client.dispose()
  }
}

/** Every `.log` file of the stack, with what each needle (or its percent-encoding) was found in. */
const leaksOf = (needles: string[]) => {
  const dir = join(stack.dataDir, "logs")
  const files = readdirSync(dir).filter((f) => f.endsWith(".log"))
  expect(files).toEqual(expect.arrayContaining(["api.log"]))
  const leaks: string[] = []
  for (const f of files) {
    const text = readFileSync(join(dir, f), "utf8")
    for (const [i, n] of needles.entries()) {
      if (text.includes(n)) leaks.push(`${f} contains needle #${i}`)
      if (text.includes(encodeURIComponent(n)) && encodeURIComponent(n) !== n) leaks.push(`${f} contains needle #${i}, encoded`)
    }
  }
  return leaks
}

/** The API's log writer is asynchronous: once a last refused request's line (with an id of its own) is in api.log, every line before it is too. */
const flushApiLog = async (authorization: string) => {
  const marker = `log-hygiene-end-${Math.random().toString(36).slice(2)}`
  const last = await graphqlPost({ query: "{ me { id } }" }, { authorization, "x-request-id": marker })
  expect(last.status).toBe(401)
  expect(await waitForLogLine((l) => l.requestId === marker, 30_000)).toMatchObject({ msg: "authentication rejected" })
}

describe("log hygiene", () => {
  it("no client secret, access token, connection string or session JWT appears in any log file of the stack", async () => {
    const session = await devSession()
    const created = await createApiToken(session.token, { scopes: ["read", "receive"] })
    const jwt = await accessTokenFor(created)
    const secrets: string[] = [session.token, created.clientSecret, created.connectionString, jwt]

    // Use: HTTP, WebSocket, a wrong secret at the token endpoint, a tampered JWT.
    expect((await gql(jwt, "{ me { defaultAccount { id } } }")).status).toBe(200)
    expect(await wsQuery(`Bearer ${jwt}`)).toMatchObject({ data: { me: { defaultAccount: { id: session.accountId } } } })
    expect((await requestAccessToken({ clientId: created.clientId, clientSecret: `${created.clientSecret}x` })).status).toBe(401)
    expect((await gql(`${jwt.slice(0, -4)}AAAA`, "{ me { defaultAccount { id } } }")).status).toBe(401)
    await wsQuery(`Bearer ${jwt.slice(0, -4)}AAAA`)

    // Rotate: the new secret and JWT join the list; then revoke and use after revoke.
    const { body } = await gql(
      session.token,
      `mutation($input: ApiTokenRotateInput!) { apiTokenRotate(input: $input) { errors { code } apiToken { clientId clientSecret connectionString } } }`,
      { input: { id: created.id } },
    )
    const rotated = body.data.apiTokenRotate.apiToken as { clientId: string; clientSecret: string; connectionString: string }
    const jwt2 = await accessTokenFor(rotated)
    secrets.push(rotated.clientSecret, rotated.connectionString, jwt2)
    expect((await gql(jwt2, "{ me { defaultAccount { id } } }")).status).toBe(200)
    expect((await revokeApiToken(session.token, created.id)).errors).toEqual([])
    await eventually("the revoked token's JWT is refused", async () => (await gql(jwt2, "{ me { defaultAccount { id } } }")).status === 401)
    await wsQuery(`Bearer ${jwt2}`)
    expect((await requestAccessToken(rotated)).status).not.toBe(200)

    // The API's log writer is asynchronous: a last refused request, with an id
    // of its own, marks the end; once its line is in api.log, every line before it is too.
    const marker = `log-hygiene-end-${Math.random().toString(36).slice(2)}`
    const last = await graphqlPost({ query: "{ me { id } }" }, { authorization: `Bearer ${jwt2}`, "x-request-id": marker })
    expect(last.status).toBe(401)
    expect(await waitForLogLine((l) => l.requestId === marker, 30_000)).toMatchObject({ msg: "authentication rejected" })
    const needles = [...secrets, ...[jwt, jwt2, session.token].map((t) => t.split(".")[2]!)]
    expect(needles.every((n) => n.length >= 32)).toBe(true)
    const dir = join(stack.dataDir, "logs")
    const files = readdirSync(dir).filter((f) => f.endsWith(".log"))
    expect(files).toEqual(expect.arrayContaining(["api.log"]))
    const leaks: string[] = []
    for (const f of files) {
      const text = readFileSync(join(dir, f), "utf8")
      for (const [i, n] of needles.entries()) if (text.includes(n)) leaks.push(`${f} contains needle #${i}`)
      // Percent-encoded secrets (a form body or a Basic header decoded into a log) count too.
      for (const s of [created.clientSecret, rotated.clientSecret]) if (text.includes(encodeURIComponent(s))) leaks.push(`${f} contains an encoded secret`)
    }
    expect(leaks).toEqual([])
    // Not vacuous: the life of this token was logged (by its id and client id).
    const apiLog = readFileSync(join(dir, "api.log"), "utf8")
    expect(apiLog).toContain(created.id)
    expect(apiLog).toContain(rotated.clientId)
  })

  it("no static key, plugin connection string or mistyped key appears in any log file; the logs name the token by its id", async () => {
    const session = await devSession()
    const created = await createApiToken(session.token, { scopes: ["read", "receive"], staticKey: true })
    const oauth2Only = await createApiToken(session.token, { scopes: ["read"] })
    const key = created.token
    const mistyped = `${key.slice(0, 20)}${key[20] === "A" ? "B" : "A"}${key.slice(21)}`
    const secrets = [key, created.pluginConnectionString!, created.connectionString, mistyped, oauth2Only.clientSecret]

    // Use: HTTP, WebSocket, a mistyped key, an OAuth2-only secret as the Bearer (HTTP and WebSocket).
    expect((await gql(key, "{ me { defaultAccount { id } } }")).status).toBe(200)
    expect(await wsQuery(`Bearer ${key}`)).toMatchObject({ data: { me: { defaultAccount: { id: session.accountId } } } })
    expect((await gql(mistyped, "{ me { defaultAccount { id } } }")).status).toBe(401)
    await wsQuery(`Bearer ${mistyped}`)
    expect((await gql(oauth2Only.clientSecret, "{ me { defaultAccount { id } } }")).status).toBe(401)
    await wsQuery(`Bearer ${oauth2Only.clientSecret}`)

    // Rotate (the new key and plugin string join the list), use both, revoke, use after revoke.
    const { body } = await gql(
      session.token,
      `mutation($input: ApiTokenRotateInput!) { apiTokenRotate(input: $input) { errors { code } apiToken { clientId token pluginConnectionString } } }`,
      { input: { id: created.id, gracePeriodSeconds: 0 } },
    )
    const rotated = body.data.apiTokenRotate.apiToken as { clientId: string; token: string; pluginConnectionString: string }
    secrets.push(rotated.token, rotated.pluginConnectionString)
    expect((await gql(rotated.token, "{ me { defaultAccount { id } } }")).status).toBe(200)
    expect((await gql(key, "{ me { defaultAccount { id } } }")).status).toBe(401)
    expect((await revokeApiToken(session.token, created.id)).errors).toEqual([])
    await eventually("the revoked static key is refused", async () => (await gql(rotated.token, "{ me { defaultAccount { id } } }")).status === 401)
    await wsQuery(`Bearer ${rotated.token}`)

    await flushApiLog(`Bearer ${rotated.token}`)
    // The secrets whole, and their random part alone (without the public prefix).
    const needles = [...secrets, ...[key, rotated.token, mistyped, oauth2Only.clientSecret].map((k) => k.slice("flash_sk_".length))]
    expect(needles.every((n) => n.length >= 32)).toBe(true)
    expect(leaksOf(needles)).toEqual([])
    const apiLog = readFileSync(join(stack.dataDir, "logs", "api.log"), "utf8")
    expect(apiLog).toContain(created.id)
    expect(apiLog).toContain(rotated.clientId)
    expect(apiLog).toContain("api_token_oauth2_only")
  })
})
