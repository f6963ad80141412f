// Each wallet's ledger head (version and balance) kept in Redis, so a balance
// read is one Redis GET instead of a lookup in the ledger store. Shared by all
// API replicas, so a balance read anywhere sees a payment as soon as its
// writer returned.
//
// The ledger stays the only truth; a head here is believed only if it is:
// - never older than what a returned write wrote: every append sets the head
//   of its wallet (version+1, new balance) BEFORE the payment answers;
// - never moved back: a head is replaced only by a higher version (one Lua
//   script, atomic in Redis), so a slow reader's fill or a slow writer cannot
//   overwrite a newer head with an older one;
// - short-lived: every head expires after `ttlMs`. The one way a head can lag
//   the ledger is a writer that appended and then died (or lost Redis) before
//   setting it; that payment never answered, and the head is read from the
//   ledger again within `ttlMs`;
// - filled by readers only from a ledger read that started less than a
//   quarter of the TTL ago: a head a writer set after that read cannot have
//   expired yet, so the compare-and-set sees it and keeps it.
// Without Redis, or while it does not answer, every balance comes from the
// ledger. A head this process could not set (Redis away or failing) is set
// again at the next command that succeeds or reconnect, and until then this
// process reads that wallet from the ledger; for one TTL after a reconnect it
// reads the ledger for every wallet (refilling the heads) rather than heads
// that may have missed its writes.
import Redis from "ioredis"
import { metrics } from "@/services/metrics"

export type LedgerHead = { version: number; balance: number }

export type LedgerHeads = {
  /** The head kept for this wallet, or undefined (none, expired, Redis away): then ask the ledger. */
  read: (walletId: string) => Promise<LedgerHead | undefined>
  /** After an append: the wallet's new head. Resolves when Redis answered (or failed). */
  advance: (walletId: string, head: LedgerHead) => Promise<void>
  /** After a ledger read that started at `readStartedAt` (ms since epoch). */
  offer: (walletId: string, head: LedgerHead, readStartedAt: number) => Promise<void>
  mode: () => "redis" | "off"
  /** Whether the Redis connection is up now (false when off): lets a caller wait for a cut or a reconnect to be seen. */
  connected: () => boolean
  close: () => Promise<void>
}

// KEYS[1] head key; ARGV: version, "version:balance", ttl ms. Sets the head
// unless the one there has a higher version; an equal version (same entry,
// entries never change) only renews the expiry.
const ADVANCE = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local v = tonumber(string.match(cur, '^(%d+):'))
  if v and v > tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`

type HeadsClient = Redis & { flashAdvanceHead: (key: string, version: number, value: string, ttlMs: number) => Promise<number> }

const parse = (raw: string | null): LedgerHead | undefined => {
  if (!raw) return undefined
  const sep = raw.indexOf(":")
  const version = Number(raw.slice(0, sep))
  const balance = Number(raw.slice(sep + 1))
  // Version 0 is a wallet with no entry yet (balance 0).
  return sep > 0 && Number.isSafeInteger(version) && version >= 0 && Number.isFinite(balance) ? { version, balance } : undefined
}

/** No heads: every balance comes from the ledger (no Redis, a TTL of 0, a test of the ledger alone). */
export const off: LedgerHeads = {
  read: async () => undefined,
  advance: async () => undefined,
  offer: async () => undefined,
  mode: () => "off",
  connected: () => false,
  close: async () => undefined,
}

/**
 * `ttlMs` 0 (or no Redis) turns the heads off. Commands give up after
 * `commandTimeoutMs`: a slow Redis costs a balance read that much at most
 * before the ledger answers instead.
 */
export const createLedgerHeads = async (opts: {
  redis?: { url: string; keyPrefix: string }
  ttlMs: number
  commandTimeoutMs?: number
}): Promise<LedgerHeads> => {
  if (!opts.redis || opts.ttlMs <= 0) return off
  const client = new Redis(opts.redis.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: opts.commandTimeoutMs ?? 250,
    lazyConnect: true,
  }) as HeadsClient
  client.on("error", () => undefined)
  client.defineCommand("flashAdvanceHead", { numberOfKeys: 1, lua: ADVANCE })
  const key = (walletId: string) => `${opts.redis!.keyPrefix}ledger-head:${walletId}`
  // Heads of appends that did not reach Redis, set again when it is back
  // (bounded: past that many, the TTL alone repairs them).
  const unsent = new Map<string, LedgerHead>()
  const UNSENT_MAX = 10_000
  let distrustUntil = 0
  let everReady = false

  const set = async (walletId: string, head: LedgerHead, via: "append" | "fill"): Promise<void> => {
    const keep = () => {
      if (via !== "append" || unsent.size >= UNSENT_MAX) return
      const held = unsent.get(walletId)
      if (!held || held.version < head.version) unsent.set(walletId, head)
    }
    if (client.status !== "ready") {
      metrics.ledgerHeadWrites.inc({ via, result: "unavailable" })
      keep()
      return
    }
    try {
      await client.flashAdvanceHead(key(walletId), head.version, `${head.version}:${head.balance}`, opts.ttlMs)
      metrics.ledgerHeadWrites.inc({ via, result: "ok" })
      resendUnsent()
    } catch {
      metrics.ledgerHeadWrites.inc({ via, result: "error" })
      keep()
    }
  }
  /**
   * Redis answers again: set the heads it missed (a failure keeps them for the
   * next time). At most once a second, so a Redis that keeps refusing writes
   * is not sent the whole list after every read that succeeds.
   */
  let lastResend = 0
  const resendUnsent = (now = Date.now()) => {
    if (unsent.size === 0 || now - lastResend < 1000) return
    lastResend = now
    const again = [...unsent]
    unsent.clear()
    for (const [walletId, head] of again) void set(walletId, head, "append")
  }

  client.on("ready", () => {
    if (everReady) distrustUntil = Date.now() + opts.ttlMs
    everReady = true
    lastResend = 0
    resendUnsent()
  })
  await client.connect().catch(() => undefined)

  // Counters bound to their labels once (this runs for every wallet of every query).
  const counted = {
    hit: metrics.ledgerHeadReads.labels({ result: "hit" }),
    miss: metrics.ledgerHeadReads.labels({ result: "miss" }),
    error: metrics.ledgerHeadReads.labels({ result: "error" }),
  }
  // The reads of one tick (the wallets of one query) go out as one MGET: a
  // command per wallet, even pipelined, cost about four times the Redis
  // client's CPU per query (profile of `me` in npm run bench).
  type Waiter = (raw: string | null | Error) => void
  let queued: Map<string, Waiter[]> | undefined
  const sendQueued = async (q: Map<string, Waiter[]>) => {
    const ids = [...q.keys()]
    let raws: Array<string | null> | Error
    try {
      raws = await client.mget(ids.map(key))
      resendUnsent()
    } catch (e) {
      raws = e instanceof Error ? e : new Error(String(e))
    }
    ids.forEach((id, i) => {
      const answer = raws instanceof Error ? raws : (raws[i] ?? null)
      for (const w of q.get(id)!) w(answer)
    })
  }
  const readRaw = (walletId: string) =>
    new Promise<string | null | Error>((resolve) => {
      if (!queued) {
        const q = new Map<string, Waiter[]>()
        queued = q
        process.nextTick(() => {
          queued = undefined
          void sendQueued(q)
        })
      }
      const waiters = queued.get(walletId)
      if (waiters) waiters.push(resolve)
      else queued.set(walletId, [resolve])
    })

  return {
    read: async (walletId) => {
      if (client.status !== "ready") {
        metrics.ledgerHeadReads.inc({ result: "unavailable" })
        return undefined
      }
      if (Date.now() < distrustUntil) {
        metrics.ledgerHeadReads.inc({ result: "reconnected" })
        return undefined
      }
      if (unsent.has(walletId)) {
        // The head in Redis misses this process's own last write.
        metrics.ledgerHeadReads.inc({ result: "unsent" })
        return undefined
      }
      const raw = await readRaw(walletId)
      if (raw instanceof Error) {
        counted.error.inc()
        return undefined
      }
      const head = parse(raw)
      ;(head ? counted.hit : counted.miss).inc()
      return head
    },
    advance: (walletId, head) => set(walletId, head, "append"),
    offer: async (walletId, head, readStartedAt) => {
      if (Date.now() - readStartedAt > opts.ttlMs / 4) return
      await set(walletId, head, "fill")
    },
    mode: () => "redis",
    connected: () => client.status === "ready",
    close: async () => client.disconnect(),
  }
}
