// The set of revoked API token ids, in every API process. Mongo is the source of
// truth; this set makes a revocation effective at once, although JWTs are
// self-contained. With Redis, a revocation is published on a channel so every
// replica adds it within a second (and a periodic resync covers missed
// messages); without Redis, the process that revoked knows at once.
import Redis from "ioredis"

export type RevocationSet = {
  publish: (tokenId: string) => Promise<void>
  isRevoked: (tokenId: string) => boolean
  /** Called for every revocation seen, local or from another replica. */
  onRevoked: (listener: (tokenId: string) => void) => () => void
  /** Adds these ids (periodic resync from Mongo). Revocation is final: nothing is ever taken out. */
  resync: (tokenIds: Iterable<string>) => void
  close: () => Promise<void>
  mode: () => "redis" | "local"
}

export const createRevocationSet = async (redis?: { url: string; keyPrefix: string }): Promise<RevocationSet> => {
  const revoked = new Set<string>()
  const listeners = new Set<(tokenId: string) => void>()
  const add = (id: string) => {
    if (revoked.has(id)) return
    revoked.add(id)
    for (const l of listeners) l(id)
  }

  let publisher: Redis | undefined
  let subscriber: Redis | undefined
  const channel = `${redis?.keyPrefix ?? ""}api-token-revoked`
  if (redis) {
    publisher = new Redis(redis.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true })
    subscriber = new Redis(redis.url, { lazyConnect: true })
    publisher.on("error", () => undefined)
    subscriber.on("error", () => undefined)
    await Promise.all([publisher.connect(), subscriber.connect()])
    await subscriber.subscribe(channel)
    subscriber.on("message", (_ch: string, message: string) => add(message))
  }

  return {
    publish: async (tokenId) => {
      add(tokenId)
      // Best effort: the other replicas also pick it up from Mongo on their next resync.
      if (publisher) await publisher.publish(channel, tokenId).catch(() => undefined)
    },
    isRevoked: (tokenId) => revoked.has(tokenId),
    onRevoked: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    resync: (tokenIds) => {
      for (const id of tokenIds) add(id)
    },
    close: async () => {
      subscriber?.disconnect()
      publisher?.disconnect()
    },
    mode: () => (redis ? "redis" : "local"),
  }
}

let current: RevocationSet | undefined
/** The process-wide set; use cases call `revocationSet().publish(id)`. */
export const revocationSet = (): RevocationSet => {
  if (!current) {
    // A CLI or a test without an initialised set: local only.
    const local = new Set<string>()
    current = {
      publish: async (id) => void local.add(id),
      isRevoked: (id) => local.has(id),
      onRevoked: () => () => undefined,
      resync: (ids) => {
        for (const id of ids) local.add(id)
      },
      close: async () => undefined,
      mode: () => "local",
    }
  }
  return current
}
export const setRevocationSet = (set: RevocationSet) => {
  current = set
}
