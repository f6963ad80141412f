// The periodic resync of the invalidation bus from Mongo, the source of truth.
// It catches every change whose bus message this process missed (Redis down,
// a CLI without Redis, a write made straight to Mongo): tokens and accounts
// whose `changedAt` is at or after its watermark become events, as if they had
// been published, and revoked tokens of the last JWT lifetime refill the
// revocation set. It runs at start, every REVOCATION_RESYNC_SECONDS, and at
// once when the Redis subscriber reconnects.
import type { InvalidationBus, InvalidationEvent } from "@/services/invalidation"
import type { Logger } from "@/services/logger"

/**
 * The watermark trails the last query by this much: a write stamped `changedAt
 * = T` lands in Mongo a little after T (or on another replica's clock), so each
 * query looks back; what it already applied is skipped by its stamp.
 */
export const RESYNC_LOOKBACK_MS = 5_000

export type InvalidationResyncDeps = {
  bus: Pick<InvalidationBus, "resync" | "isRevoked">
  listRevokedSince: (since: Date) => Promise<readonly string[] | Error>
  listTokensChangedSince: (since: Date) => Promise<ReadonlyArray<{ id: string; changedAt: Date; revoked: boolean }> | Error>
  listAccountsChangedSince: (since: Date) => Promise<ReadonlyArray<{ id: string; changedAt: Date }> | Error>
  /** How far back revocations matter: JWTs older than this are refused anyway. */
  revokedLookbackMs: number
  logger?: Logger
  now?: () => Date
}

export const createInvalidationResync = (deps: InvalidationResyncDeps) => {
  const now = deps.now ?? (() => new Date())
  // Records cached before this process started cannot exist: changes from then on matter.
  let watermark = new Date(now().getTime() - RESYNC_LOOKBACK_MS)
  const applied = new Map<string, number>()
  let running: Promise<void> | undefined
  let again = false

  const once = async () => {
    const startedAt = now()
    const [revoked, tokens, accounts] = await Promise.all([
      deps.listRevokedSince(new Date(startedAt.getTime() - deps.revokedLookbackMs)),
      deps.listTokensChangedSince(watermark),
      deps.listAccountsChangedSince(watermark),
    ])
    const failed = [revoked, tokens, accounts].find((r): r is Error => r instanceof Error)
    if (failed) {
      deps.logger?.warn({ err: failed.message }, "invalidation resync failed")
      return
    }
    const events: InvalidationEvent[] = (revoked as readonly string[])
      .filter((id) => !deps.bus.isRevoked(id))
      .map((tokenId) => ({ tokenId, revoked: true }))
    const fresh = (key: string, at: Date) => {
      if (applied.get(key) === at.getTime()) return false
      applied.set(key, at.getTime())
      return true
    }
    for (const t of tokens as ReadonlyArray<{ id: string; changedAt: Date; revoked: boolean }>) {
      if (fresh(`t:${t.id}`, t.changedAt)) events.push(t.revoked ? { tokenId: t.id, revoked: true } : { tokenId: t.id })
    }
    for (const a of accounts as ReadonlyArray<{ id: string; changedAt: Date }>) {
      if (fresh(`a:${a.id}`, a.changedAt)) events.push({ accountId: a.id })
    }
    deps.bus.resync(events)
    watermark = new Date(startedAt.getTime() - RESYNC_LOOKBACK_MS)
    for (const [k, at] of applied) if (at < watermark.getTime()) applied.delete(k)
  }

  /** One run at a time; a call during a run asks for one more run after it (a reconnect must not be lost). */
  const run = (): Promise<void> => {
    if (running) {
      again = true
      return running
    }
    running = (async () => {
      try {
        do {
          again = false
          await once()
        } while (again)
      } finally {
        running = undefined
      }
    })()
    return running
  }
  return { run }
}
