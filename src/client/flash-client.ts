// Reference client for Flash API tokens: what the README's "use it from code"
// shows and what the end-to-end tests use as a third-party program would.
// It gets an access token with the OAuth2 client-credentials grant
// (simple-oauth2), caches it, refreshes it shortly before expiry and once on a
// 401, and speaks GraphQL over HTTP and over WebSocket (graphql-ws), where a
// socket closed for token expiry reconnects with a fresh token.
//
// Retries: a request that got no answer (the connection failed or was cut) or
// a 502/503/504 (the proxy lost the process that had it) is sent again, a few
// times with a short backoff — a query always, a mutation only when repeating
// it is safe: its variables carry an `idempotencyKey` (the API answers a replay
// with the first result and moves no money twice) or the caller says so
// (`{ retry: true }`, e.g. creating an invoice). Token requests are retried the
// same way (a second token is harmless); a refusal (4xx) is never retried.
import { getOperationAST, parse } from "graphql"
import { createClient, Client as WsClient, Sink } from "graphql-ws"
import { AccessToken, ClientCredentials } from "simple-oauth2"
import WebSocket from "ws"

export type FlashClientOptions = {
  /** GraphQL endpoint, e.g. http://127.0.0.1:4012/graphql */
  apiUrl: string
  /** OAuth2 token endpoint, e.g. http://127.0.0.1:4444/oauth2/token */
  tokenUrl: string
  clientId: string
  clientSecret: string
  /** Scopes to ask for; default: all the token has. */
  scope?: string[]
  /** How the secret is sent: HTTP Basic (default) or in the form body. */
  authMethod?: "client_secret_basic" | "client_secret_post"
  /** Refresh this many seconds before `exp` (default 30). */
  refreshSkewSeconds?: number
  /** Attempts per request and per token request, the first included (default 4: three retries). */
  attempts?: number
  /** Told of every failed attempt that is retried (observability: logs, metrics, tests). */
  onRetry?: (e: RetryEvent) => void
}

export type RetryEvent = {
  /** A GraphQL request, or a token request at the token endpoint. */
  kind: "request" | "token"
  /** The HTTP status that failed, or undefined when no answer came. */
  status: number | undefined
  /** Which attempt failed (1 = the first). */
  attempt: number
  at: number
}

export type RequestOptions = {
  /** Send a mutation again after a transient failure although its variables carry no idempotencyKey. */
  retry?: boolean
}

const RETRY_STATUSES = new Set([502, 503, 504])
const backoffMs = (attempt: number) => Math.min(100 * 2 ** (attempt - 1), 1_000) * (0.5 + Math.random())
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const hasIdempotencyKey = (v: unknown, depth = 0): boolean => {
  if (typeof v !== "object" || v === null || depth > 3) return false
  return Object.entries(v).some(([k, x]) => (k === "idempotencyKey" && typeof x === "string" && x !== "") || hasIdempotencyKey(x, depth + 1))
}

const operationKinds = new Map<string, string | undefined>()
const operationOf = (document: string) => {
  if (!operationKinds.has(document)) {
    let kind: string | undefined
    try {
      kind = getOperationAST(parse(document))?.operation
    } catch {
      kind = undefined // the server will say what is wrong with it
    }
    if (operationKinds.size > 500) operationKinds.clear()
    operationKinds.set(document, kind)
  }
  return operationKinds.get(document)
}

export type GraphQLResponse<T> = { data?: T; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> }

/**
 * Reads the connection string `apiTokenCreate` returns (the BTCPay plugin's format):
 *   type=flash;server=<GraphQL URL>;token-url=<token URL>;client-id=<id>;client-secret=<secret>
 */
export const parseConnectionString = (connectionString: string): FlashClientOptions => {
  const parts = new Map<string, string>()
  for (const part of connectionString.split(";")) {
    const i = part.indexOf("=")
    if (i > 0) parts.set(part.slice(0, i).trim().toLowerCase(), part.slice(i + 1).trim())
  }
  const need = (key: string) => {
    const v = parts.get(key)
    if (!v) throw new Error(`connection string lacks ${key}=`)
    return v
  }
  if (need("type") !== "flash") throw new Error("connection string is not type=flash")
  return {
    apiUrl: need("server"),
    tokenUrl: need("token-url"),
    clientId: need("client-id"),
    clientSecret: need("client-secret"),
  }
}

export class FlashAuthError extends Error {
  override name = "FlashAuthError"
}

export class FlashClient {
  private token: AccessToken | undefined
  private inflight: Promise<string> | undefined
  private readonly oauth: ClientCredentials
  private ws: WsClient | undefined
  /** How many tokens this client fetched (observability for tests and logs). */
  tokensFetched = 0

  static fromConnectionString(connectionString: string, extra: Partial<FlashClientOptions> = {}) {
    return new FlashClient({ ...parseConnectionString(connectionString), ...extra })
  }

  constructor(private readonly opts: FlashClientOptions) {
    const url = new URL(opts.tokenUrl)
    this.oauth = new ClientCredentials({
      client: { id: opts.clientId, secret: opts.clientSecret },
      auth: { tokenHost: url.origin, tokenPath: url.pathname },
      options: { authorizationMethod: opts.authMethod === "client_secret_post" ? "body" : "header" },
    })
  }

  /** A valid access token, fetched at most once at a time. */
  async accessToken(): Promise<string> {
    const skew = this.opts.refreshSkewSeconds ?? 30
    if (this.token && !this.token.expired(skew)) return this.token.token.access_token as string
    this.inflight ??= this.fetchToken().finally(() => (this.inflight = undefined))
    return this.inflight
  }

  private async fetchToken(): Promise<string> {
    const attempts = this.opts.attempts ?? 4
    for (let attempt = 1; ; attempt++) {
      try {
        this.token = await this.oauth.getToken(this.opts.scope ? { scope: this.opts.scope } : {})
        this.tokensFetched += 1
        return this.token.token.access_token as string
      } catch (e) {
        this.token = undefined
        // simple-oauth2 (wreck) fails with a Boom error that holds the answer, if one came
        // (a proxy's HTML 502 fails as "not JSON", 406, with the real answer inside), else a 502 of its own.
        const answered = (e as { data?: { res?: { statusCode?: number } } }).data?.res?.statusCode
        const status = answered ?? (e as { output?: { statusCode?: number } }).output?.statusCode
        const transient = status === undefined || status >= 500
        if (!transient || attempt >= attempts) throw this.refused(e)
        this.opts.onRetry?.({ kind: "token", status: answered, attempt, at: Date.now() })
        await sleep(backoffMs(attempt))
      }
    }
  }

  private refused(e: unknown) {
    const data = (e as { data?: { payload?: { error?: string; error_description?: string } } }).data?.payload
    return new FlashAuthError(
      `token request refused: ${data?.error ?? (e instanceof Error ? e.message : "unknown error")}` +
        (data?.error_description ? ` (${data.error_description})` : ""),
    )
  }

  /** Forgets the cached token (the next call fetches a new one). */
  invalidate() {
    this.token = undefined
  }

  async request<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options: RequestOptions = {},
  ): Promise<GraphQLResponse<T>> {
    const body = JSON.stringify({ query, variables })
    const repeatable = operationOf(query) !== "mutation" || options.retry === true || hasIdempotencyKey(variables)
    const attempts = repeatable ? (this.opts.attempts ?? 4) : 1
    const send = async () =>
      fetch(this.opts.apiUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${await this.accessToken()}` },
        body,
      })
    for (let attempt = 1; ; attempt++) {
      let res: Response
      try {
        res = await send()
        if (res.status === 401) {
          // The token may have been rotated or expired early: refresh once.
          await res.arrayBuffer()
          this.invalidate()
          res = await send()
        }
      } catch (e) {
        // No answer (refused, reset, cut mid-answer): the request may or may not have run.
        if (e instanceof FlashAuthError || attempt >= attempts) throw e
        this.opts.onRetry?.({ kind: "request", status: undefined, attempt, at: Date.now() })
        await sleep(backoffMs(attempt))
        continue
      }
      if (res.status === 401) throw new FlashAuthError("the API refused the access token (401)")
      if (RETRY_STATUSES.has(res.status) && attempt < attempts) {
        await res.arrayBuffer()
        this.opts.onRetry?.({ kind: "request", status: res.status, attempt, at: Date.now() })
        await sleep(backoffMs(attempt))
        continue
      }
      const text = await res.text()
      try {
        return JSON.parse(text) as GraphQLResponse<T>
      } catch {
        // Not GraphQL (a proxy's error page): say what came back.
        return { errors: [{ message: `HTTP ${res.status}: not a GraphQL answer`, extensions: { status: res.status } }] }
      }
    }
  }

  query<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) {
    return this.request<T>(query, variables)
  }

  /** Retried after a transient failure only with an idempotencyKey in its variables, or `{ retry: true }`. */
  mutate<T = Record<string, unknown>>(mutation: string, variables?: Record<string, unknown>, options: RequestOptions = {}) {
    return this.request<T>(mutation, variables, options)
  }

  /** Subscribes over graphql-ws; returns a function that unsubscribes. */
  subscribe<T = Record<string, unknown>>(query: string, variables: Record<string, unknown>, sink: Sink<GraphQLResponse<T>>) {
    this.ws ??= createClient({
      url: this.opts.apiUrl.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      lazy: true,
      // Called on every (re)connect, so a reconnect after 4440 carries a fresh token.
      // 4442 (access narrowed) reconnects too: the server decides what the token may still do.
      connectionParams: async () => ({ Authorization: `Bearer ${await this.accessToken()}` }),
      retryAttempts: 5,
      shouldRetry: (event) => {
        const code = (event as { code?: number }).code
        if (code === 4440) this.invalidate()
        return code !== 4441 && code !== 4403
      },
    })
    return this.ws.subscribe<T>({ query, variables }, sink as Sink)
  }

  /**
   * Closes the socket. Safe at any moment, also while a reconnect is waiting or
   * connecting: graphql-ws's dispose then rejects with the pending connection's
   * failure ("All Subscriptions Gone" once the last subscription stopped, or
   * the socket's error), and no open socket is left to close.
   */
  async close() {
    const ws = this.ws
    this.ws = undefined
    await Promise.resolve(ws?.dispose()).catch(() => undefined)
  }
}
