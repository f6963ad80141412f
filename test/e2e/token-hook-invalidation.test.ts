// The token hook serves issuance from the API's cache of token records (issue
// 17, item 3) and still refuses at once: after a revocation, a rotation with
// grace 0, an edit that narrows scopes or an account lock — made on the API
// that Hydra's hook calls, on a second API process, or by the admin CLI — the
// very next exchange at Hydra is refused (or narrowed), although the hook had
// the record cached just before. Hydra itself refuses a deleted client or a
// scope the client lost, so each case also asks the hook directly, with the
// client id Hydra would send, and expects the hook's own reason.
import { execFile } from "node:child_process"
import { join } from "node:path"
import { promisify } from "node:util"
import { decodeJwt } from "jose"
import { testStack } from "../harness/stack-state"
import { createApiToken, CreatedApiToken, requestAccessToken } from "../support/api-tokens"
import { post, ROTATE, UPDATE } from "../support/invalidation"
import { startSecondApi } from "../support/second-api"
import { devSession } from "../support/tokens"

const stack = testStack()
const run = promisify(execFile)
const admin = (...args: string[]) =>
  run(process.execPath, ["--import", "tsx", join(__dirname, "..", "..", "src", "servers", "admin-cli.ts"), ...args], {
    env: { ...process.env, ...stack.apiEnv, LOG_LEVEL: "silent" },
  })

const REVOKE = `mutation($input: ApiTokenRevokeInput!) { apiTokenRevoke(input: $input) { errors { code } apiToken { status } } }`

/** What Hydra posts to the hook for a client-credentials grant. */
const askHook = async (clientId: string, granted: string[]) => {
  const res = await fetch(`${stack.urls.api}/hooks/hydra/token`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-flash-token-hook-secret": stack.tokenHookSecret },
    body: JSON.stringify({
      session: { client_id: clientId },
      request: { client_id: clientId, requested_scopes: [], granted_scopes: granted, granted_audience: [], grant_types: ["client_credentials"] },
    }),
  })
  return { status: res.status, body: (await res.json()) as { error?: { code?: string } } }
}

/** A token whose record the hook (the stack's API) has cached: two exchanges, both allowed. */
const cachedToken = async (scopes: string[]) => {
  const session = await devSession()
  const token = await createApiToken(session.token, { scopes })
  for (let i = 0; i < 2; i++) expect((await requestAccessToken(token)).status).toBe(200)
  return { session, token }
}

describe("the token hook refuses at once, from its cache, whichever process made the change", () => {
  let replica: Awaited<ReturnType<typeof startSecondApi>>
  beforeAll(async () => {
    expect(stack.urls.redis).toBeDefined() // changes reach the hook's process through Redis
    replica = await startSecondApi()
  }, 120_000)
  afterAll(async () => {
    await replica?.stop()
  })
  const where = () => [
    ["the hook's own API", stack.urls.graphql],
    ["a second API process", replica.graphql],
  ]
  const eachProcess = (name: string, body: (graphql: string) => Promise<void>) => {
    it(`${name} (change made on the hook's own API)`, () => body(where()[0]![1]!), 60_000)
    it(`${name} (change made on a second API process)`, () => body(where()[1]![1]!), 60_000)
  }

  eachProcess("revocation: the next exchange is refused and the hook answers TOKEN_REVOKED", async (graphql) => {
    const { session, token } = await cachedToken(["read"])
    const revoked = await post(graphql, session.token, REVOKE, { input: { id: token.id } })
    expect(revoked.body.data.apiTokenRevoke).toEqual({ errors: [], apiToken: { status: "REVOKED" } })
    expect((await requestAccessToken(token)).status).toBeGreaterThanOrEqual(400)
    expect(await askHook(token.clientId, ["read"])).toEqual({ status: 403, body: { error: { code: "TOKEN_REVOKED" } } })
  })

  eachProcess("rotation with grace 0: the old client is refused (CLIENT_ROTATED_OUT) and the new one is allowed", async (graphql) => {
    const { session, token } = await cachedToken(["read"])
    const rotated = await post(graphql, session.token, ROTATE, { input: { id: token.id, gracePeriodSeconds: 0 } })
    expect(rotated.body.data.apiTokenRotate.errors).toEqual([])
    expect((await requestAccessToken(token)).status).toBeGreaterThanOrEqual(400)
    expect(await askHook(token.clientId, ["read"])).toEqual({ status: 403, body: { error: { code: "CLIENT_ROTATED_OUT" } } })
    const fresh = rotated.body.data.apiTokenRotate.apiToken as Pick<CreatedApiToken, "clientId" | "clientSecret">
    expect((await requestAccessToken(fresh)).status).toBe(200)
  })

  eachProcess("apiTokenUpdate write → read: the next JWT carries read only, write is refused, and the hook refuses a write grant", async (graphql) => {
    const { session, token } = await cachedToken(["read", "write"])
    const updated = await post(graphql, session.token, UPDATE, { input: { id: token.id, scopes: ["read"] } })
    expect(updated.body.data.apiTokenUpdate.apiToken.scopes).toEqual(["read"])
    const next = await requestAccessToken(token)
    expect(next.status).toBe(200)
    expect(decodeJwt(next.body.access_token!).scp).toEqual(["read"])
    expect((await requestAccessToken(token, "write")).status).toBeGreaterThanOrEqual(400)
    expect(await askHook(token.clientId, ["read", "write"])).toEqual({ status: 403, body: { error: { code: "SCOPE_NOT_GRANTED" } } })
  })

  it(
    "account lock by the admin CLI (another process): the next exchange is refused with access_denied; unlock allows the one after",
    async () => {
      const { session, token } = await cachedToken(["read"])
      const me = await post(stack.urls.graphql, session.token, "{ me { defaultAccount { id } } }")
      const accountId = me.body.data.me.defaultAccount.id as string

      await admin("lock", accountId)
      const refused = await requestAccessToken(token)
      expect(refused.status).toBe(403)
      expect(refused.body.error).toBe("access_denied")
      expect(await askHook(token.clientId, ["read"])).toEqual({ status: 403, body: { error: { code: "ACCOUNT_LOCKED" } } })

      await admin("unlock", accountId)
      expect((await requestAccessToken(token)).status).toBe(200)
    },
    60_000,
  )
})
