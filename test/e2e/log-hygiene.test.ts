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
})
