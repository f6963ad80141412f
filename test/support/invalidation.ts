// Helpers for the invalidation suites: a graphql-ws socket authenticated with
// a JWT whose close code can be awaited and on which operations can be run,
// and polling until an event happens (never a wall-clock bound).
import { createClient } from "graphql-ws"
import WebSocket from "ws"

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type GqlBody = { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> }

export const post = async (graphqlUrl: string, bearer: string, query: string, variables?: Record<string, unknown>) => {
  const res = await fetch(graphqlUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(20_000),
  })
  return { status: res.status, body: (await res.json().catch(() => ({}))) as GqlBody }
}

export const ME = "{ me { defaultAccount { id } } }"
export const statusOf = async (graphqlUrl: string, jwt: string) => (await post(graphqlUrl, jwt, ME)).status

/** Polls `check` until it holds or `timeoutMs` passes (a generous bound for a loaded machine); returns whether it held. */
export const eventually = async (check: () => Promise<boolean>, timeoutMs = 30_000, everyMs = 100) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return true
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/** A socket authenticated with `jwt`; resolves once the server accepted connection_init. */
export const openSocket = async (wsUrl: string, jwt: string) => {
  let resolveClosed!: (code: number) => void
  const closed = new Promise<number>((r) => (resolveClosed = r))
  let closeCode: number | undefined
  let connected!: () => void
  const ready = new Promise<void>((r) => (connected = r))
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => undefined, // the close is what the tests wait for
    connectionParams: { Authorization: `Bearer ${jwt}` },
    on: {
      connected: () => connected(),
      closed: (e) => {
        closeCode = (e as WebSocket.CloseEvent).code
        resolveClosed(closeCode)
      },
    },
  })
  await Promise.race([ready, closed.then((code) => Promise.reject(new Error(`socket closed before it was accepted: ${code}`)))])
  /** One operation on this socket: its result, or the error the server sent (or the close). */
  const run = (query: string, variables?: Record<string, unknown>) =>
    new Promise<GqlBody | { error: unknown }>((resolve) => {
      let result: GqlBody | undefined
      client.subscribe(
        { query, variables },
        {
          next: (r) => (result = r as GqlBody),
          error: (error) => resolve({ error }),
          complete: () => resolve(result ?? { error: "completed without a result" }),
        },
      )
    })
  return {
    closed,
    isOpen: () => closeCode === undefined,
    run,
    /** A long-lived subscription, as the BTCPay plugin keeps one. */
    watch: () => client.subscribe({ query: "subscription { myUpdates { __typename } }" }, { next: () => undefined, error: () => undefined, complete: () => undefined }),
    dispose: () => client.dispose(),
  }
}

export const SEND = `mutation($input: IntraLedgerPaymentSendInput!) { intraLedgerPaymentSend(input: $input) { status errors { code } } }`
export const WALLETS = "{ me { defaultAccount { wallets { id walletCurrency balance } } } }"
export const btcWalletOf = async (graphqlUrl: string, bearer: string) =>
  ((await post(graphqlUrl, bearer, WALLETS)).body.data.me.defaultAccount.wallets as Array<{ id: string; walletCurrency: string; balance: number }>).find(
    (w) => w.walletCurrency === "BTC",
  )!

/** Pays `sats` into the session's BTC wallet through the sandbox's external payer (dev route of `apiUrl`). */
export const fundBtc = async (apiUrl: string, sessionToken: string, sats: number) => {
  const graphqlUrl = `${apiUrl}/graphql`
  const { id } = await btcWalletOf(graphqlUrl, sessionToken)
  const created = await post(graphqlUrl, sessionToken, "mutation($input: LnInvoiceCreateInput!) { lnInvoiceCreate(input: $input) { invoice { paymentRequest } } }", {
    input: { walletId: id, amount: sats },
  })
  const res = await fetch(`${apiUrl}/dev/lightning/pay`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ paymentRequest: created.body.data.lnInvoiceCreate.invoice.paymentRequest }),
  })
  if (res.status !== 200) throw new Error(`funding failed: ${res.status}`)
  return id
}

export const ROTATE = `mutation($input: ApiTokenRotateInput!) { apiTokenRotate(input: $input) { errors { code } apiToken { id clientId clientSecret } } }`
export const UPDATE = `mutation($input: ApiTokenUpdateInput!) { apiTokenUpdate(input: $input) { errors { code } apiToken { id scopes ipAllowlist walletIds rateLimitPerMinute dailySendLimit } } }`

/** connection_init with `Authorization: Bearer <bearer>`; resolves with the close (code and reason) the server sent, or "open". */
export const connectionOutcome = (wsUrl: string, bearer: string) =>
  new Promise<{ code: number; reason: string } | "open">((resolve) => {
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      onNonLazyError: () => undefined,
      connectionParams: { Authorization: `Bearer ${bearer}` },
      on: {
        connected: () => {
          resolve("open")
          void client.dispose()
        },
        closed: (e) => resolve({ code: (e as WebSocket.CloseEvent).code, reason: (e as WebSocket.CloseEvent).reason }),
      },
    })
  })
