import { testStack } from "../harness/stack-state"
import { randomPhone } from "../support/phone"

const stack = testStack()

describe("health and readiness", () => {
  it("answers /healthz while alive", async () => {
    const res = await fetch(`${stack.urls.api}/healthz`)
    expect(res.status).toBe(200)
  })

  it("is ready: Mongo, Hydra admin and the Hydra JWKS all answer", async () => {
    const res = await fetch(`${stack.urls.api}/readyz`)
    expect(res.status).toBe(200)
    const expected = { mongo: "ok", hydra: "ok", jwks: "ok", ...(stack.urls.redis ? { redis: "ok" } : {}) }
    expect(await res.json()).toEqual({ status: "ready", checks: expected })
  })

  it("publishes the ES256 access-token signing key the launcher created in Hydra's JWKS", async () => {
    const keyset = (await (await fetch(`${stack.urls.hydraAdmin}/admin/keys/hydra.jwt.access-token`)).json()) as {
      keys: Array<{ kid: string; alg: string }>
    }
    expect(keyset.keys.map((k) => k.alg)).toEqual(["ES256"])
    const jwks = (await (await fetch(stack.urls.jwks)).json()) as { keys: Array<{ kid: string; alg: string }> }
    expect(jwks.keys).toEqual(expect.arrayContaining([expect.objectContaining({ kid: keyset.keys[0]!.kid, alg: "ES256" })]))
  })
})

describe("metrics", () => {
  it("serves no /metrics on the API port", async () => {
    expect((await fetch(`${stack.urls.api}/metrics`)).status).toBe(404)
  })

  it("exposes Prometheus metrics on their own listener, including authentication outcomes by reason", async () => {
    await fetch(stack.urls.graphql, { method: "POST", headers: { authorization: "Bearer x.y.z", "content-type": "application/json" }, body: "{}" })
    const text = await (await fetch(`${stack.urls.metrics}/metrics`)).text()
    expect(text).toMatch(/flashapi_auth_outcomes_total\{transport="http",outcome="rejected",reason="malformed_token"\} \d+/)
    expect(text).toContain("flashapi_http_request_duration_seconds_bucket")
  })
})

describe("dev session", () => {
  const post = (body: unknown) =>
    fetch(`${stack.urls.api}/dev/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    })

  it("creates the user and account on first use and returns the same ones afterwards", async () => {
    const phone = randomPhone()
    const first = (await (await post({ phone })).json()) as { token: string; userId: string; accountId: string }
    const second = (await (await post({ phone })).json()) as { token: string; userId: string; accountId: string }
    expect(first.token.split(".")).toHaveLength(3)
    expect(second.accountId).toBe(first.accountId)
    expect(second.userId).toBe(first.userId)
  })

  it("answers concurrent first sessions for one phone with one account", async () => {
    const phone = randomPhone()
    const results = await Promise.all(Array.from({ length: 5 }, () => post({ phone }).then((r) => r.json())))
    expect(new Set(results.map((r) => (r as { accountId: string }).accountId)).size).toBe(1)
  })

  it("refuses a malformed phone number with a stable code", async () => {
    const res = await post({ phone: "12345" })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ error: { code: "INVALID_PHONE", message: expect.any(String) } })
  })
})

describe("malformed requests", () => {
  const send = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${stack.urls.api}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body })

  it.each([
    ["broken JSON to /graphql", "/graphql", "{not json", 400, "BAD_JSON"],
    ["broken JSON to /dev/session", "/dev/session", "{not json", 400, "BAD_JSON"],
    ["a 200 KB body to /graphql", "/graphql", JSON.stringify({ query: "x".repeat(200_000) }), 413, "PAYLOAD_TOO_LARGE"],
    ["an unknown route", "/nowhere", "{}", 404, "NOT_FOUND"],
  ])("answers %s with a JSON error code, without internals", async (_label, path, body, status, code) => {
    const res = await send(path, body)
    expect(res.status).toBe(status)
    const text = await res.text()
    expect(JSON.parse(text)).toEqual({ error: { code, message: expect.any(String) } })
    expect(text).not.toMatch(/at .*\.(ts|js):\d+/)
  })

  it("answers the token hook's malformed JSON with a code too (with the right secret)", async () => {
    const res = await send("/hooks/hydra/token", "{not json", { "x-flash-token-hook-secret": stack.tokenHookSecret })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("BAD_JSON")
  })
})

describe("accountDefaultWallet (public payee lookup by username)", () => {
  const username = `shop_${Math.random().toString(36).slice(2, 10)}`
  const lookup = (u: string, currency?: string) =>
    fetch(stack.urls.graphql, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: `query ($u: Username!, $c: WalletCurrency) { accountDefaultWallet(username: $u, walletCurrency: $c) { id walletCurrency } }`,
        variables: { u, c: currency },
      }),
    }).then((r) => r.json() as Promise<{ data?: { accountDefaultWallet: { id: string; walletCurrency: string } }; errors?: Array<{ extensions: { code: string } }> }>)

  it("answers anyone with the default wallet, or the wallet of the asked currency, of the named account", async () => {
    const phone = randomPhone()
    const res = await fetch(`${stack.urls.api}/dev/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ phone, username }),
    })
    expect(res.status).toBe(200)
    const { token } = (await res.json()) as { token: string }
    const me = (await (
      await fetch(stack.urls.graphql, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: "{ me { defaultAccount { defaultWalletId wallets { id walletCurrency } } } }" }),
      })
    ).json()) as { data: { me: { defaultAccount: { defaultWalletId: string; wallets: Array<{ id: string; walletCurrency: string }> } } } }
    const account = me.data.me.defaultAccount
    expect((await lookup(username.toUpperCase())).data?.accountDefaultWallet).toEqual({ id: account.defaultWalletId, walletCurrency: "BTC" })
    const usd = account.wallets.find((w) => w.walletCurrency === "USD")!
    expect((await lookup(username, "USD")).data?.accountDefaultWallet).toEqual({ id: usd.id, walletCurrency: "USD" })
  })

  it("refuses an unknown username with ACCOUNT_NOT_FOUND and a taken one with USERNAME_TAKEN", async () => {
    expect((await lookup("nobody_has_this_name")).errors?.[0]?.extensions.code).toBe("ACCOUNT_NOT_FOUND")
    const other = await fetch(`${stack.urls.api}/dev/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ phone: "+15559990001", username }),
    })
    expect(other.status).toBe(409)
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe("USERNAME_TAKEN")
  })
})
