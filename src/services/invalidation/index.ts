// The invalidation bus: the one way a change that narrows what a token may do
// (revocation, rotation, an edit of its scopes, wallets, IP allowlist or limits,
// an account lock) reaches every API process. Mongo is the source of truth: a
// use case writes the record first (with its `changedAt` stamp), then publishes
// here. Every process, on an event, drops its cached records of that token or
// account and re-checks the WebSockets authenticated with them.
//
// With Redis, events go through one channel, so every replica sees them within
// a second; a message missed while Redis was away is caught by the periodic
// resync from Mongo (main.ts), and a reconnect triggers a resync at once.
// Without Redis, the process that published knows at once.
//
// Revocation is final and remembered on top: a revoked id stays in the set
// (JWTs are self-contained; the set refuses them until they expire).
import Redis from "ioredis"
import { metrics } from "@/services/metrics"

export type InvalidationEvent = { tokenId: string; revoked?: true } | { accountId: string }

export type InvalidationBus = {
  publish: (event: InvalidationEvent) => Promise<void>
  isRevoked: (tokenId: string) => boolean
  /** Every event seen, local or from another replica, in arrival order. */
  onInvalidated: (listener: (event: InvalidationEvent) => void) => () => void
  /** Called for each token id the first time it is known revoked. */
  onRevoked: (listener: (tokenId: string) => void) => () => void
  /** Called when the Redis subscriber is back after a disconnect (messages may have been missed). */
  onReconnected: (listener: () => void) => () => void
  /** Applies events found by the periodic resync from Mongo. */
  resync: (events: Iterable<InvalidationEvent>) => void
  /**
   * Resolves true once every event another replica published before this call
   * has been applied here (a PING on the subscriber connection: Redis answers it
   * after the messages it already queued there), false when that cannot be known
   * (the subscriber is down or slow). Without Redis: true at once. The token hook
   * calls it before it trusts a cached record.
   */
  caughtUp: () => Promise<boolean>
  /**
   * Applies an event that reached this process by another way than Redis (the
   * admin socket): its listeners run as for a Redis message; nothing is republished.
   */
  receive: (event: InvalidationEvent) => void
  close: () => Promise<void>
  mode: () => "redis" | "local"
}

export const INVALIDATION_CHANNEL = "api-token-invalidated"
/** How long `caughtUp` waits for Redis before it answers false (the caller then reads the store). */
const CAUGHT_UP_TIMEOUT_MS = 250

/** The wire format: JSON of the event. Anything else is ignored. */
export const parseInvalidationMessage = (message: string): InvalidationEvent | undefined => {
  try {
    const m = JSON.parse(message) as Record<string, unknown>
    if (typeof m.tokenId === "string" && m.tokenId.length > 0 && m.tokenId.length <= 100) {
      return m.revoked === true ? { tokenId: m.tokenId, revoked: true } : { tokenId: m.tokenId }
    }
    if (typeof m.accountId === "string" && m.accountId.length > 0 && m.accountId.length <= 100) return { accountId: m.accountId }
  } catch {
    // not ours
  }
  return undefined
}

/** When the publisher sent it (ms since the epoch), for the propagation histogram; absent from older senders. */
const sentAtOf = (message: string): number | undefined => {
  try {
    const t = (JSON.parse(message) as Record<string, unknown>).sentAt
    return typeof t === "number" && Number.isFinite(t) ? t : undefined
  } catch {
    return undefined
  }
}

const createLocalCore = () => {
  const revoked = new Set<string>()
  const listeners = new Set<(e: InvalidationEvent) => void>()
  const revokedListeners = new Set<(id: string) => void>()
  const reconnectListeners = new Set<() => void>()
  const apply = (e: InvalidationEvent) => {
    if ("tokenId" in e && e.revoked && !revoked.has(e.tokenId)) {
      revoked.add(e.tokenId)
      for (const l of revokedListeners) l(e.tokenId)
    }
    for (const l of listeners) l(e)
  }
  const on =
    <T>(set: Set<T>) =>
    (l: T) => {
      set.add(l)
      return () => void set.delete(l)
    }
  return {
    apply,
    reconnected: () => {
      for (const l of reconnectListeners) l()
    },
    isRevoked: (id: string) => revoked.has(id),
    onInvalidated: on(listeners),
    onRevoked: on(revokedListeners),
    onReconnected: on(reconnectListeners),
  }
}

export const createInvalidationBus = async (redis?: { url: string; keyPrefix: string }): Promise<InvalidationBus> => {
  const core = createLocalCore()
  let publisher: Redis | undefined
  let subscriber: Redis | undefined
  const channel = `${redis?.keyPrefix ?? ""}${INVALIDATION_CHANNEL}`
  if (redis) {
    publisher = new Redis(redis.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true })
    subscriber = new Redis(redis.url, { lazyConnect: true })
    publisher.on("error", () => undefined)
    subscriber.on("error", () => undefined)
    await Promise.all([publisher.connect(), subscriber.connect()])
    await subscriber.subscribe(channel)
    subscriber.on("message", (_ch: string, message: string) => {
      const e = parseInvalidationMessage(message)
      if (!e) return
      core.apply(e)
      const sentAt = sentAtOf(message)
      if (sentAt !== undefined) metrics.invalidationDelay.observe(Math.max(0, Date.now() - sentAt) / 1000)
    })
    // ioredis re-subscribes on its own after a reconnect; what was published
    // meanwhile is lost, so the listeners (main.ts: a resync) run at once.
    let wasDown = false
    subscriber.on("close", () => void (wasDown = true))
    subscriber.on("ready", () => {
      if (!wasDown) return
      wasDown = false
      core.reconnected()
    })
  }

  return busOf(
    core,
    publisher && {
      // Best effort: the other replicas also pick it up from Mongo on their next resync.
      send: (event) => publisher.publish(channel, JSON.stringify({ ...event, sentAt: Date.now() })).then(() => undefined, () => undefined),
      caughtUp: () => {
        if (subscriber?.status !== "ready") return Promise.resolve(false)
        let timer: NodeJS.Timeout | undefined
        const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), CAUGHT_UP_TIMEOUT_MS)))
        const pong = subscriber.ping().then(
          () => true,
          () => false,
        )
        return Promise.race([pong, late]).finally(() => clearTimeout(timer))
      },
      close: () => {
        subscriber?.disconnect()
        publisher.disconnect()
      },
    },
  )
}

/** The bus over a core; with a Redis transport, events also go to the other replicas. */
const busOf = (
  core: ReturnType<typeof createLocalCore>,
  redis?: { send: (event: InvalidationEvent) => Promise<void>; caughtUp: () => Promise<boolean>; close: () => void },
): InvalidationBus => ({
  publish: async (event) => {
    // Local first: this process refuses at once, whatever Redis does.
    core.apply(event)
    await redis?.send(event)
  },
  isRevoked: core.isRevoked,
  onInvalidated: core.onInvalidated,
  onRevoked: core.onRevoked,
  onReconnected: core.onReconnected,
  resync: (events) => {
    for (const e of events) core.apply(e)
  },
  caughtUp: redis ? redis.caughtUp : async () => true,
  receive: core.apply,
  close: async () => redis?.close(),
  mode: () => (redis ? "redis" : "local"),
})

/** A bus with no Redis, created synchronously (a CLI command that tells no one, unit tests). */
export const createLocalInvalidationBus = (): InvalidationBus => busOf(createLocalCore())
