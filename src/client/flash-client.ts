// Reference client for Flash API tokens: what the README's "use it from code"
// shows and what the end-to-end tests use as a third-party program would.
// It gets an access token with the OAuth2 client-credentials grant
// (simple-oauth2), caches it, refreshes it shortly before expiry and once on a
// 401, and speaks GraphQL over HTTP and over WebSocket (graphql-ws), where a
// socket closed for token expiry reconnects with a fresh token.
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
    try {
      this.token = await this.oauth.getToken(this.opts.scope ? { scope: this.opts.scope } : {})
      this.tokensFetched += 1
      return this.token.token.access_token as string
    } catch (e) {
      this.token = undefined
      const data = (e as { data?: { payload?: { error?: string; error_description?: string } } }).data?.payload
      throw new FlashAuthError(
        `token request refused: ${data?.error ?? (e instanceof Error ? e.message : "unknown error")}` +
          (data?.error_description ? ` (${data.error_description})` : ""),
      )
    }
  }

  /** Forgets the cached token (the next call fetches a new one). */
  invalidate() {
    this.token = undefined
  }

  async request<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>> {
    const send = async () =>
      fetch(this.opts.apiUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${await this.accessToken()}` },
        body: JSON.stringify({ query, variables }),
      })
    let res = await send()
    if (res.status === 401) {
      // The token may have been rotated or expired early: refresh once.
      this.invalidate()
      res = await send()
    }
    if (res.status === 401) throw new FlashAuthError("the API refused the access token (401)")
    return (await res.json()) as GraphQLResponse<T>
  }

  query<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) {
    return this.request<T>(query, variables)
  }

  mutate<T = Record<string, unknown>>(mutation: string, variables?: Record<string, unknown>) {
    return this.request<T>(mutation, variables)
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
