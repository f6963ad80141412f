// The stack as it ships (docs/operations.md "Running in production"; src/stack/production-
// stack.ts): NODE_ENV=production, nginx terminating TLS in front of two API
// replicas and of Hydra (https issuer, no --dev, on PostgreSQL), Redis, user
// sessions from a separate issuer process; the replicas run the compiled build. Every request goes the way an
// outside caller's does — over TLS through nginx, HTTP and WebSocket — except
// where a test reaches a replica directly on purpose (as a caller who is not
// the proxy). It runs issue 15's attack table against that stack.
//
// The replicas cache token records for 300 s and resync revocations every
// 120 s, and JWTs live 300 s: a test that waits (up to 20 s) for a token to be
// refused can only pass through the invalidation fan-out, never through a
// cache expiring or a periodic resync. Anonymous callers get 20 requests a
// minute, so the test of the anonymous rate-limit key is short.
import { randomUUID } from "node:crypto"
import { readFileSync } from "node:fs"
import { exportJWK, generateKeyPair, JWK, KeyLike, SignJWT, decodeJwt, decodeProtectedHeader } from "jose"
import { AccountsRepository } from "@/services/mongoose/accounts"
import type { AccountId, Username } from "@/domain/accounts"
import { runToCompletion } from "@/stack/child-process"
import type { RunningProductionStack } from "@/stack/production-stack"
import {
  call,
  CALLER,
  createUser,
  deposit,
  eventually,
  exchange,
  graphqlAt,
  ProductionRun,
  startProductionRun,
  wsClient,
} from "../support/production"
import { buildCompiled, CompiledBuild } from "@/stack/compiled-build"

let run: ProductionRun
let s: RunningProductionStack

let build: CompiledBuild | undefined

beforeAll(async () => {
  // The replicas run the compiled build, as the image does.
  build = await buildCompiled("production")
  run = await startProductionRun(
    { API_TOKEN_CACHE_TTL_SECONDS: "300", REVOCATION_RESYNC_SECONDS: "120", RATE_LIMIT_ANONYMOUS_PER_MINUTE: "20" },
    { apiEntry: build.main },
  )
  s = run.stack
}, 300_000)
afterAll(async () => {
  await run?.stop()
  build?.remove()
}, 120_000)

const ME = "{ me { defaultAccount { id } } }"
const BALANCES = "{ me { defaultAccount { wallets { id walletCurrency balance } } } }"
const PAY = `mutation Pay($input: IntraLedgerPaymentSendInput!) { intraLedgerPaymentSend(input: $input) { status errors { code message } } }`
const SUBSCRIBE_UPDATES = "subscription { myUpdates { __typename } }"

const gql = (bearer: string | undefined, query: string, variables?: Record<string, unknown>, o: { from?: string; headers?: Record<string, string> } = {}) =>
  graphqlAt(s, s.urls.graphql, bearer, query, variables, o)

const statusOf = async (url: string, jwt: string, o: { from?: string; headers?: Record<string, string> } = {}) =>
  (await graphqlAt(s, url, jwt, ME, undefined, o)).status

/** Both replicas, directly (a caller from 127.0.0.1, not the proxy). */
const onEachReplica = (jwt: string) => Promise.all(s.replicas.map((r) => statusOf(r.graphql, jwt)))

type CreatedToken = { id: string; clientId: string; clientSecret: string; tokenEndpoint: string; scopes: string[] }

const createToken = async (session: string, input: Record<string, unknown>): Promise<CreatedToken> => {
  const r = await gql(
    session,
    `mutation Create($input: ApiTokenCreateInput!) {
      apiTokenCreate(input: $input) { errors { code message } apiToken { id clientId clientSecret tokenEndpoint scopes } }
    }`,
    { input: { name: `prod-${randomUUID().slice(0, 8)}`, ...input } },
  )
  const token = r.data?.apiTokenCreate?.apiToken as CreatedToken | undefined
  if (!token) throw new Error(`apiTokenCreate failed: ${r.status} ${r.text}`)
  return token
}

/** A merchant (account, session), a token of theirs with these scopes, and a JWT for it from Hydra. */
const merchant = async (scopes: string[], extra: Record<string, unknown> = {}) => {
  const user = await createUser(s)
  const token = await createToken(user.session, { scopes, ...extra })
  const jwt = await exchange(s, token)
  return { user, token, jwt }
}

const balanceOf = async (jwt: string) => {
  const r = await gql(jwt, BALANCES)
  const wallets = r.data?.me?.defaultAccount?.wallets as Array<{ walletCurrency: string; balance: number }> | undefined
  if (!wallets) throw new Error(`balance read failed: ${r.status} ${r.text}`)
  return wallets.find((w) => w.walletCurrency === "BTC")!.balance
}

const pay = (jwt: string, input: Record<string, unknown>) => gql(jwt, PAY, { input })

/** A signer whose public key Hydra publishes in `set` (the operator's own key, PUT through the admin API). */
const keyInHydraSet = async (set: string, alg: "ES256" | "RS256") => {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const kid = `prod-test-${set}-${randomUUID()}`
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid, alg, use: "sig" }
  const put = await fetch(`${s.urls.hydraAdmin}/admin/keys/${set}/${kid}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(jwk),
  })
  if (!put.ok) throw new Error(`PUT key into ${set}: ${put.status} ${await put.text()}`)
  await eventually(`Hydra publishes ${kid}`, async () => {
    const jwks = (await call(s, s.urls.jwks)).json() as { keys: JWK[] }
    return jwks.keys.some((k) => k.kid === kid)
  })
  return { kid, alg, privateKey: privateKey as KeyLike, publicKey }
}

/** The claims of a genuine JWT of this token, re-signed with another key. */
const resign = async (genuine: string, signer: { kid: string; alg: string; privateKey: KeyLike }) => {
  const claims = decodeJwt(genuine)
  return new SignJWT({ ...claims, jti: randomUUID() }).setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "JWT" }).sign(signer.privateKey)
}

const aliases = (n: number, field: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(" ")} }`

const LIMITS = ["depth", "aliases", "rootFields", "cost", "tokens", "directives", "listSize"]
const expectTooComplex = (r: { status: number; data?: unknown; errors?: Array<{ extensions?: Record<string, unknown> }> }, limit?: string) => {
  expect(r.status).toBe(400)
  expect(r.data ?? null).toBeNull()
  const ext = r.errors?.[0]?.extensions
  expect(ext?.code).toBe("QUERY_TOO_COMPLEX")
  if (limit) expect(ext?.limit).toBe(limit)
  else expect(LIMITS).toContain(ext?.limit)
}

describe("production profile: the stack as it ships, through nginx", () => {
  it("runs Hydra without --dev, behind TLS: the JWT's issuer and the token endpoint are https", async () => {
    const hydra = s.processes.find((p) => p.name === "hydra")!
    const cmdline = readFileSync(`/proc/${hydra.pid}/cmdline`, "utf8").split("\0")
    expect(cmdline).toContain("serve")
    expect(cmdline).not.toContain("--dev")

    const { token, jwt } = await merchant(["read"])
    expect(token.tokenEndpoint).toBe(s.urls.tokenEndpoint)
    expect(token.tokenEndpoint.startsWith("https://")).toBe(true)
    expect(decodeJwt(jwt).iss).toBe(s.urls.hydraPublic)
    expect(decodeProtectedHeader(jwt).alg).toBe("ES256")
  })

  it("answers 404 on every dev route (session issuer, dev JWKS, dev payer), through nginx and on each replica", async () => {
    const routes: Array<[string, string]> = [
      ["POST", "/dev/session"],
      ["GET", "/dev/.well-known/jwks.json"],
      ["POST", "/dev/lightning/pay"],
    ]
    for (const base of [s.urls.api, ...s.replicas.map((r) => r.url)]) {
      for (const [method, path] of routes) {
        const body = path === "/dev/lightning/pay" ? JSON.stringify({ paymentRequest: "lnbc1", amountSats: 1e17 }) : JSON.stringify({ phone: "+15550001111" })
        const r = await call(s, `${base}${path}`, { method, headers: { "content-type": "application/json" }, body: method === "POST" ? body : undefined })
        expect([base, method, path, r.status]).toEqual([base, method, path, 404])
      }
    }
  })

  it("serves the whole flow: a session creates a token, Hydra exchanges it over TLS, `me` answers over HTTP and WebSocket through nginx", async () => {
    const { user, jwt } = await merchant(["read"])
    const http = await gql(jwt, ME)
    expect(http.status).toBe(200)
    expect(http.data.me.defaultAccount.id).toBe(user.accountId)
    // Both replicas serve it (nginx balances between them; here each one directly).
    for (const r of s.replicas) expect((await graphqlAt(s, r.graphql, jwt, ME)).data?.me?.defaultAccount?.id).toBe(user.accountId)

    const ws = wsClient(s, jwt)
    try {
      const result = await ws.once(ME)
      expect(result.errors).toBeUndefined()
      expect(result.data.me.defaultAccount.id).toBe(user.accountId)
    } finally {
      await ws.dispose()
    }
  })

  it("accepts user sessions only from the configured issuer, for accounts that exist", async () => {
    const user = await createUser(s)
    expect((await gql(user.session, ME)).data?.me?.defaultAccount?.id).toBe(user.accountId)

    // Same issuer name, another key: refused.
    const { privateKey } = await generateKeyPair("RS256")
    const foreign = await new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid: decodeProtectedHeader(user.session).kid! })
      .setIssuer(s.sessions.issuer)
      .setSubject(user.userId)
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(privateKey)
    expect((await gql(foreign, ME)).status).toBe(401)
    // A genuine session of a user without an account: the API creates none.
    expect((await gql(await s.sessions.issue(randomUUID()), ME)).status).toBe(401)
  })

  it("refuses an API-token JWT signed with a key Hydra never published, over HTTP and WebSocket", async () => {
    const { jwt } = await merchant(["read"])
    const { privateKey } = await generateKeyPair("ES256")
    const forged = await resign(jwt, { kid: `unknown-${randomUUID()}`, alg: "ES256", privateKey: privateKey as KeyLike })
    expect((await gql(forged, ME)).status).toBe(401)
    for (const r of s.replicas) expect(await statusOf(r.graphql, forged)).toBe(401)
    const ws = wsClient(s, forged)
    expect((await ws.closed).code).toBe(4403)
  })

  it("keeps JWTs of the previous access-token key valid after a key rotation, and signs new ones with the new key", async () => {
    const { token, jwt: before } = await merchant(["read"])
    const kid = `flash-es256-rotated-${randomUUID()}`
    const rotated = await fetch(`${s.urls.hydraAdmin}/admin/keys/hydra.jwt.access-token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ alg: "ES256", use: "sig", kid }),
    })
    expect(rotated.status).toBe(201)
    const after = await exchange(s, token)
    expect(decodeProtectedHeader(after).kid).toBe(kid)
    expect(decodeProtectedHeader(before).kid).not.toBe(kid)
    expect(await onEachReplica(after)).toEqual([200, 200])
    expect(await onEachReplica(before)).toEqual([200, 200])
    expect((await gql(after, ME)).status).toBe(200)
  })

  it("verifies a JWT signed with a key the operator put into Hydra's access-token set (the re-signed claims are valid ones)", async () => {
    const { jwt } = await merchant(["read"])
    const accessKey = await keyInHydraSet("hydra.jwt.access-token", "ES256")
    expect(await onEachReplica(await resign(jwt, accessKey))).toEqual([200, 200])
  })

  it("answers errors without stack traces or server paths", async () => {
    const { jwt } = await merchant(["read"])
    const replies = [
      await gql(jwt, "{ me { defaultAccount { id } "), // syntax
      await gql(jwt, "{ me { noSuchField } }"), // validation
      await gql(jwt, "query($n: Int!) { me { defaultAccount { id } } }", { n: "x" }), // variables
      await gql(jwt, `mutation { intraLedgerPaymentSend(input: { walletId: "not-a-wallet", recipientWalletId: "x", amount: 1 }) { status } }`),
      await gql("not-a-jwt", ME),
    ]
    for (const r of replies) {
      expect(r.status).toBeGreaterThanOrEqual(200)
      expect(r.text).not.toMatch(/stacktrace|\.ts:\d+|\/work\/|node_modules|at [A-Za-z.]+ \(/)
    }
    expect(replies[0]!.status).toBe(400)
    expect(replies[4]!.status).toBe(401)

    const ws = wsClient(s, jwt)
    try {
      const r = await ws.once("{ me { noSuchField } }")
      expect(r.errors?.length).toBeGreaterThan(0)
      expect(JSON.stringify(r)).not.toMatch(/stacktrace|\.ts:\d+|\/work\/|node_modules/)
    } finally {
      await ws.dispose()
    }
  })

  it("revokes through the proxy: the JWT gets 401 on both replicas and its open socket is closed with 4441", async () => {
    const { user, token, jwt } = await merchant(["read"])
    expect(await onEachReplica(jwt)).toEqual([200, 200]) // cached on both now
    const ws = wsClient(s, jwt)
    await ws.connected
    const revoked = await gql(user.session, `mutation($input: ApiTokenRevokeInput!) { apiTokenRevoke(input: $input) { errors { code } } }`, {
      input: { id: token.id },
    })
    expect(revoked.data.apiTokenRevoke.errors).toEqual([])
    await eventually("401 on both replicas", async () => (await onEachReplica(jwt)).every((c) => c === 401))
    expect((await ws.closed).code).toBe(4441)
  })

  it("honours a token's IP allowlist over HTTP through nginx for the caller's own address", async () => {
    const { jwt } = await merchant(["read"], { ipAllowlist: [CALLER.allowed] })
    expect(await statusOf(s.urls.graphql, jwt, { from: CALLER.allowed })).toBe(200)
    expect(await statusOf(s.urls.graphql, jwt, { from: CALLER.other })).toBe(401)
  })

  it("moves money through the proxy: a write token pays another account, and both balances show it", async () => {
    const payer = await merchant(["read", "write"])
    const payee = await merchant(["read"])
    await deposit(payer.user.btcWalletId, 1_000)
    expect(await balanceOf(payer.jwt)).toBe(1_000)
    const r = await pay(payer.jwt, { walletId: payer.user.btcWalletId, recipientWalletId: payee.user.btcWalletId, amount: 100 })
    expect(r.data.intraLedgerPaymentSend).toEqual({ status: "SUCCESS", errors: [] })
    expect(await balanceOf(payer.jwt)).toBe(900)
    expect(await balanceOf(payee.jwt)).toBe(100)
  })
})

// Every finding of the outside attack (issue 15), tried again on the stack as it ships.
describe("production profile: the outside attack's findings stay closed", () => {
  describe("one client address, TRUST_PROXY = nginx", () => {
    it("ignores an X-Forwarded-For sent through nginx: the allowlist sees the caller's own address, over HTTP", async () => {
      const { jwt } = await merchant(["read"], { ipAllowlist: ["203.0.113.7"] })
      expect(await statusOf(s.urls.graphql, jwt, { from: CALLER.other, headers: { "x-forwarded-for": "203.0.113.7" } })).toBe(401)
    })

    it("ignores X-Forwarded-For from a caller that reaches a replica directly (not the proxy), on both transports", async () => {
      const { jwt } = await merchant(["read"], { ipAllowlist: ["203.0.113.7"] })
      for (const r of s.replicas) {
        expect(await statusOf(r.graphql, jwt, { from: CALLER.plain, headers: { "x-forwarded-for": "203.0.113.7" } })).toBe(401)
      }
      const ws = wsClient(s, jwt, { url: s.replicas[0]!.graphqlWs, headers: { "x-forwarded-for": "203.0.113.7" } })
      expect((await ws.closed).code).toBe(4403)
    })

    it("keys the anonymous rate limit by the caller's address: a new X-Forwarded-For per request does not reset it", async () => {
      // RATE_LIMIT_ANONYMOUS_PER_MINUTE is 20 on this stack; this caller's address is used by no other test.
      const from = CALLER.anonymous
      let answered = 0
      for (let n = 0; n <= 20; n++) {
        const r = await gql(undefined, "{ globals { network } }", undefined, { from, headers: { "x-forwarded-for": `198.51.100.${n + 1}` } })
        if (r.status === 429) break
        expect(r.status).toBe(200)
        answered++
      }
      expect(answered).toBe(20)
    })

    it("honours the allowlist over WebSocket through nginx: the caller's address, not nginx's", async () => {
      const { user, jwt } = await merchant(["read"], { ipAllowlist: [CALLER.allowed] })
      const allowed = wsClient(s, jwt, { from: CALLER.allowed })
      try {
        expect((await allowed.once(ME)).data?.me?.defaultAccount?.id).toBe(user.accountId)
      } finally {
        await allowed.dispose()
      }
      const other = wsClient(s, jwt, { from: CALLER.other })
      expect((await other.closed).code).toBe(4403)
    })
  })

  describe("safe production defaults", () => {
    it("refuses introspection", async () => {
      const { jwt } = await merchant(["read"])
      for (const q of ["{ __schema { queryType { name } } }", '{ __type(name: "Query") { fields { name } } }']) {
        const r = await gql(jwt, q)
        expect(r.status).toBe(400)
        expect(r.data ?? null).toBeNull()
        expect(r.errors?.length).toBeGreaterThan(0)
      }
    })

    it("serves /metrics only on each replica's metrics listener, not on the public port", async () => {
      expect((await call(s, `${s.urls.api}/metrics`)).status).toBe(404)
      for (const r of s.replicas) {
        expect((await call(s, `${r.url}/metrics`)).status).toBe(404)
        const m = await call(s, `${r.metrics}/metrics`)
        expect(m.status).toBe(200)
        expect(m.text).toMatch(/^# HELP flashapi_/m)
      }
    })

    it("refuses API-token JWTs signed with a key of Hydra's OpenID set, RS256 or ES256", async () => {
      const { jwt } = await merchant(["read"])
      for (const alg of ["RS256", "ES256"] as const) {
        const openIdKey = await keyInHydraSet("hydra.openid.id-token", alg)
        const forged = await resign(jwt, openIdKey)
        expect([alg, ...(await onEachReplica(forged))]).toEqual([alg, 401, 401])
        expect([alg, (await gql(forged, ME)).status]).toEqual([alg, 401])
      }
    })
  })

  describe("query cost limits, through nginx", () => {
    it("refuses 200 aliases of me → transactions(first: 100) with balances, over HTTP and WebSocket", async () => {
      const { jwt } = await merchant(["read"])
      const q = aliases(200, "me { defaultAccount { wallets { balance } transactions(first: 100) { edges { node { id settlementAmount } } } } }")
      expectTooComplex(await gql(jwt, q))
      const ws = wsClient(s, jwt)
      try {
        const r = await ws.once(q)
        expect(r.data ?? null).toBeNull()
        expect(r.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_COMPLEX")
      } finally {
        await ws.dispose()
      }
    })

    it("refuses 300 aliases of the anonymous accountDefaultWallet", async () => {
      const user = await createUser(s)
      const username = `prod${randomUUID().replace(/-/g, "").slice(0, 12)}` as Username
      expect(await AccountsRepository().claimUsername(user.accountId as AccountId, username)).toBe(true)
      expectTooComplex(await gql(undefined, aliases(300, `accountDefaultWallet(username: "${username}") { id }`)))
    })

    it("refuses 2,000 aliases, 500 fragment spreads and 40 levels of introspection", async () => {
      const { jwt } = await merchant(["read"])
      expectTooComplex(await gql(jwt, aliases(2000, "__typename")))
      const spreads = `query { me { ...F ${Array.from({ length: 499 }, () => "...F").join(" ")} } } fragment F on User { id }`
      expectTooComplex(await gql(jwt, spreads))
      let nested = "name"
      for (let i = 0; i < 38; i++) nested = `ofType { ${nested} }`
      expectTooComplex(await gql(jwt, `{ __schema { types { fields { type { ${nested} } } } } }`))
    })

    it("weighs rate-limit points by cost: a token of 10 per minute gets 10 cheap queries but at most 2 that read 100 transactions of both wallets (cost about 2,000: 5 points each at the default 500 per point)", async () => {
      const cheap = await merchant(["read"], { rateLimitPerMinute: 10 })
      const costly = await merchant(["read"], { rateLimitPerMinute: 10 })
      const answeredBefore429 = async (jwt: string, query: string) => {
        for (let n = 0; n <= 10; n++) {
          const r = await gql(jwt, query)
          if (r.status === 429) return { n, code: r.errors?.[0]?.extensions?.code }
          expect(r.status).toBe(200)
        }
        return { n: Infinity, code: undefined }
      }
      expect(await answeredBefore429(cheap.jwt, ME)).toEqual({ n: 10, code: "TOO_MANY_REQUESTS" })
      const heavy = await answeredBefore429(
        costly.jwt,
        "{ me { defaultAccount { wallets { id balance transactions(first: 100) { edges { cursor node { id status direction settlementAmount settlementCurrency memo createdAt } } } } } } }",
      )
      expect(heavy.code).toBe("TOO_MANY_REQUESTS")
      expect(heavy.n).toBeGreaterThanOrEqual(1)
      expect(heavy.n).toBeLessThanOrEqual(2)
    })

    it("caps list arguments: transactions(first: 1000) is refused with limit listSize", async () => {
      const { jwt } = await merchant(["read"])
      expectTooComplex(await gql(jwt, "{ me { defaultAccount { transactions(first: 1000) { edges { cursor } } } } }"), "listSize")
    })
  })

  describe("one way to narrow a token, fanned out to every replica", () => {
    it("rotation with grace 0 cuts the old JWT off: 401 on both replicas, its socket closed with 4441, its payment refused", async () => {
      const payer = await merchant(["read", "write"])
      const payee = await merchant(["read"])
      await deposit(payer.user.btcWalletId, 1_000)
      expect(await onEachReplica(payer.jwt)).toEqual([200, 200])
      const ws = wsClient(s, payer.jwt)
      ws.client.subscribe({ query: SUBSCRIBE_UPDATES }, { next: () => undefined, error: () => undefined, complete: () => undefined })
      await ws.connected

      const rotated = await gql(
        payer.user.session,
        `mutation($input: ApiTokenRotateInput!) { apiTokenRotate(input: $input) { errors { code } apiToken { clientId clientSecret } } }`,
        { input: { id: payer.token.id, gracePeriodSeconds: 0 } },
      )
      expect(rotated.data.apiTokenRotate.errors).toEqual([])
      await eventually("old JWT refused on both replicas", async () => (await onEachReplica(payer.jwt)).every((c) => c === 401))
      expect((await ws.closed).code).toBe(4441)
      for (const amount of [100, 101]) {
        const r = await pay(payer.jwt, { walletId: payer.user.btcWalletId, recipientWalletId: payee.user.btcWalletId, amount })
        expect(r.status).toBe(401)
      }
      const fresh = await exchange(s, rotated.data.apiTokenRotate.apiToken)
      expect(await balanceOf(fresh)).toBe(1_000)
      expect(await balanceOf(payee.jwt)).toBe(0)
    })

    it("rotation with a grace period: the old JWT works until the grace ends, and is refused after it on both replicas", async () => {
      const { user, token, jwt } = await merchant(["read"])
      expect(await onEachReplica(jwt)).toEqual([200, 200])
      const ws = wsClient(s, jwt)
      ws.client.subscribe({ query: SUBSCRIBE_UPDATES }, { next: () => undefined, error: () => undefined, complete: () => undefined })
      await ws.connected
      const rotated = await gql(
        user.session,
        `mutation($input: ApiTokenRotateInput!) { apiTokenRotate(input: $input) { errors { code } } }`,
        { input: { id: token.id, gracePeriodSeconds: 8 } },
      )
      expect(rotated.data.apiTokenRotate.errors).toEqual([])
      expect(await onEachReplica(jwt)).toEqual([200, 200])
      await eventually("old JWT refused after the grace", async () => (await onEachReplica(jwt)).every((c) => c === 401), 40_000)
      expect((await ws.closed).code).toBe(4441)
    })

    it("narrowing a token's IP allowlist with apiTokenUpdate refuses it on both replicas and closes its socket with 4442", async () => {
      const { user, token, jwt } = await merchant(["read"])
      expect(await onEachReplica(jwt)).toEqual([200, 200])
      const ws = wsClient(s, jwt)
      ws.client.subscribe({ query: SUBSCRIBE_UPDATES }, { next: () => undefined, error: () => undefined, complete: () => undefined })
      await ws.connected
      const updated = await gql(user.session, `mutation($input: ApiTokenUpdateInput!) { apiTokenUpdate(input: $input) { errors { code } } }`, {
        input: { id: token.id, ipAllowlist: ["203.0.113.9"] },
      })
      expect(updated.data?.apiTokenUpdate?.errors).toEqual([])
      await eventually("narrowed token refused on both replicas", async () => (await onEachReplica(jwt)).every((c) => c === 401))
      expect((await ws.closed).code).toBe(4442)
    })

    it("locking the account with the admin CLI refuses its tokens on both replicas and closes their sockets with 4442", async () => {
      const { user, jwt } = await merchant(["read"])
      expect(await onEachReplica(jwt)).toEqual([200, 200])
      const ws = wsClient(s, jwt)
      ws.client.subscribe({ query: SUBSCRIBE_UPDATES }, { next: () => undefined, error: () => undefined, complete: () => undefined })
      await ws.connected
      const cli = await runToCompletion(process.execPath, ["--import", "tsx", "src/servers/admin-cli.ts", "lock", user.accountId], s.apiEnv, process.cwd())
      expect({ code: cli.code, output: cli.code === 0 ? "" : cli.output }).toEqual({ code: 0, output: "" })
      await eventually("locked account's token refused on both replicas", async () => (await onEachReplica(jwt)).every((c) => c === 401))
      expect((await ws.closed).code).toBe(4442)
    })
  })

  describe("idempotency keys", () => {
    it("answers the first result for the same key and parameters, and IDEMPOTENCY_KEY_REUSED (nothing moves) for other parameters", async () => {
      const payer = await merchant(["read", "write"])
      const payee = await merchant(["read"])
      const other = await merchant(["read"])
      await deposit(payer.user.btcWalletId, 1_000)
      const idempotencyKey = randomUUID()
      const base = { walletId: payer.user.btcWalletId, recipientWalletId: payee.user.btcWalletId, amount: 100, idempotencyKey }
      expect((await pay(payer.jwt, base)).data.intraLedgerPaymentSend).toEqual({ status: "SUCCESS", errors: [] })
      expect((await pay(payer.jwt, base)).data.intraLedgerPaymentSend.errors).toEqual([])
      expect(await balanceOf(payer.jwt)).toBe(900)

      for (const changed of [{ amount: 101 }, { recipientWalletId: other.user.btcWalletId }]) {
        const r = await pay(payer.jwt, { ...base, ...changed })
        expect(r.data.intraLedgerPaymentSend.errors.map((e: { code: string }) => e.code)).toEqual(["IDEMPOTENCY_KEY_REUSED"])
        expect(r.data.intraLedgerPaymentSend.status).not.toBe("SUCCESS")
      }
      const ws = wsClient(s, payer.jwt)
      try {
        const r = await ws.once(PAY, { input: { ...base, amount: 102 } })
        expect(r.data?.intraLedgerPaymentSend?.errors?.map((e: { code: string }) => e.code)).toEqual(["IDEMPOTENCY_KEY_REUSED"])
      } finally {
        await ws.dispose()
      }
      expect(await balanceOf(payer.jwt)).toBe(900)
      expect(await balanceOf(payee.jwt)).toBe(100)
      expect(await balanceOf(other.jwt)).toBe(0)
    })
  })
})
