import { ApiTokensDeps, createApiToken } from "@/app/api-tokens"
import type { AccountId } from "@/domain/accounts"
import { AccountsRepository } from "@/services/mongoose/accounts"
import { announce, exchange, newMerchant, setUp, stack, tearDown, unwrap } from "./helpers"

let deps: ApiTokensDeps
beforeAll(async () => {
  expect(stack.urls.redis).toBeDefined() // the hook's API process learns of changes made here through Redis
  deps = await setUp()
})
afterAll(tearDown)

/** As the admin CLI locks and unlocks: Mongo first, then the event. */
const setAccountStatus = async (id: AccountId, status: "LOCKED" | "ACTIVE") => {
  unwrap(await AccountsRepository().setAccountStatus(id, status))
  await announce({ accountId: id })
}

const hook = (body: unknown, secret: string | null = stack.tokenHookSecret) =>
  fetch(`${stack.urls.api}/hooks/hydra/token`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(secret ? { "x-flash-token-hook-secret": secret } : {}) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  })

const hydraBody = (clientId: string, granted = ["read"]) => ({
  session: { client_id: clientId },
  request: { client_id: clientId, requested_scopes: null, granted_scopes: granted, granted_audience: [], grant_types: ["client_credentials"], payload: {} },
})

/** A body sent as `count` chunks of `text` with no Content-Length (Transfer-Encoding: chunked). */
const postChunked = (text: string, count: number) => {
  const chunk = new TextEncoder().encode(text)
  let sent = 0
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ < count) controller.enqueue(chunk)
      else controller.close()
    },
  })
  return fetch(`${stack.urls.api}/hooks/hydra/token`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-flash-token-hook-secret": stack.tokenHookSecret },
    body,
    duplex: "half",
  } as RequestInit)
}

describe("POST /hooks/hydra/token", () => {
  it("answers 401 without the shared-secret header or with a wrong one", async () => {
    expect((await hook(hydraBody("flash_ci_x"), null)).status).toBe(401)
    const wrong = await hook(hydraBody("flash_ci_x"), "x".repeat(40))
    expect(wrong.status).toBe(401)
    expect(await wrong.json()).toEqual({ error: { code: "HOOK_UNAUTHENTICATED" } })
  })

  it("answers 400 with a stable code on a body that is not Hydra's", async () => {
    const r = await hook({ request: { nope: true } })
    expect(r.status).toBe(400)
    expect(await r.json()).toEqual({ error: { code: "HOOK_BAD_REQUEST" } })
    expect((await hook("{not json")).status).toBe(400)
  })

  it("checks the secret before it reads the body: a caller without it learns nothing from a malformed one", async () => {
    const r = await hook("{not json", "x".repeat(40))
    expect(r.status).toBe(401)
    expect(await r.json()).toEqual({ error: { code: "HOOK_UNAUTHENTICATED" } })
  })

  it("answers 400 HOOK_BAD_REQUEST to a body that is not JSON by its content type, and 413 past 64 kB", async () => {
    const text = await fetch(`${stack.urls.api}/hooks/hydra/token`, {
      method: "POST",
      headers: { "content-type": "text/plain", "x-flash-token-hook-secret": stack.tokenHookSecret },
      body: JSON.stringify(hydraBody("flash_ci_x")),
    })
    expect(text.status).toBe(400)
    expect(await text.json()).toEqual({ error: { code: "HOOK_BAD_REQUEST" } })
    const big = await hook({ ...hydraBody("flash_ci_x"), session: { pad: "x".repeat(70 * 1024) } })
    expect(big.status).toBe(413)
    expect(await big.json()).toEqual({ error: { code: "PAYLOAD_TOO_LARGE" } })
  })

  it("answers 413 PAYLOAD_TOO_LARGE, not a cut connection, to a chunked body (no Content-Length) that grows past 64 kB", async () => {
    // 80 kB in 16 kB chunks: past the limit after the fifth.
    const r = await postChunked(`{"pad":"${"x".repeat(16 * 1024)}`, 5)
    expect(r.status).toBe(413)
    expect(r.headers.get("connection")).toBe("close")
    expect(await r.json()).toEqual({ error: { code: "PAYLOAD_TOO_LARGE" } })
    // The server is none the worse: the next call is answered.
    expect((await hook(hydraBody("flash_ci_unknown"))).status).toBe(403)
  })

  it("cuts a chunked body that goes on past 64 kB + 1 MiB instead of reading it to its end", async () => {
    // 8 MiB: far past what the hook throws away before it answers.
    const outcome = await postChunked("x".repeat(64 * 1024), 128).then(
      (r) => `answered ${r.status}`,
      () => "cut",
    )
    expect(outcome).toBe("cut")
    expect((await hook(hydraBody("flash_ci_unknown"))).status).toBe(403)
  })

  it("is answered ahead of express on POST only: another method on its path is the API's 404", async () => {
    const r = await fetch(`${stack.urls.api}/hooks/hydra/token`, { headers: { "x-flash-token-hook-secret": stack.tokenHookSecret } })
    expect(r.status).toBe(404)
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND")
  })

  it("answers 403 for an unknown client", async () => {
    const r = await hook(hydraBody("flash_ci_unknown"))
    expect(r.status).toBe(403)
    expect(await r.json()).toEqual({ error: { code: "UNKNOWN_CLIENT" } })
  })

  it("answers 200 with the account_id and token_id claims for a live token", async () => {
    const m = await newMerchant()
    const c = unwrap(await createApiToken({ caller: m.caller, name: "hooked", scopes: ["read"] }, deps))
    const r = await hook(hydraBody(c.clientId))
    expect(r.status).toBe(200)
    expect(await r.json()).toEqual({ session: { access_token: { account_id: m.account.id, token_id: c.token.id } } })
    // Granted scopes beyond the token's are refused (defence in depth).
    expect((await hook(hydraBody(c.clientId, ["write"]))).status).toBe(403)
  })

  it("refuses issuance (403 → access_denied) once the account is locked, and allows it again when unlocked", async () => {
    const m = await newMerchant()
    const c = unwrap(await createApiToken({ caller: m.caller, name: "locked", scopes: ["read"] }, deps))
    expect((await hook(hydraBody(c.clientId))).status).toBe(200) // the hook's process has the record cached
    await setAccountStatus(m.account.id, "LOCKED")
    const r = await hook(hydraBody(c.clientId))
    expect(r.status).toBe(403)
    expect(await r.json()).toEqual({ error: { code: "ACCOUNT_LOCKED" } })
    const x = await exchange(c.clientId, c.clientSecret)
    expect(x.status).toBe(403)
    expect(x.body.error).toBe("access_denied")
    await setAccountStatus(m.account.id, "ACTIVE")
    expect((await exchange(c.clientId, c.clientSecret)).status).toBe(200)
  })
})
