// Per-token usage per hour (requests, amounts sent, last caller IP), counted in
// memory and written in one batch every few seconds — like the lastUsedAt
// recorder, no database write per request. A failed flush keeps its counts for
// the next round; a crash loses at most one interval of counts (they are
// statistics, not money: the ledger and the spend log are the truth). The API
// process makes one (src/servers/composition.ts) and hands it to the payments
// (recordSent) and the request path (recordRequest).
import { addUsageInto, ApiTokenUsageHour, hourOf, mergeUsage, SentAmount } from "@/domain/audit"
import { AuditRepository } from "@/services/mongoose/audit-events"

export type UsageRowsFlush = (rows: ApiTokenUsageHour[]) => Promise<true | Error>

export const createUsageAggregator = (flush: UsageRowsFlush = AuditRepository().appendUsage, intervalMs = 10_000) => {
  let pending = new Map<string, ApiTokenUsageHour>()

  // Runs on every API-token request: a row seen before is added to in place.
  const add = (tokenId: string, accountId: string, at: Date, delta: { requests: number; sent: SentAmount[]; lastIp: string | undefined }) => {
    const hour = hourOf(at)
    const key = `${tokenId}|${hour.getTime()}`
    const row = { ...delta, lastAt: at }
    const seen = pending.get(key)
    if (seen) addUsageInto(seen, row)
    else pending.set(key, { tokenId, accountId, hour, ...row, sent: row.sent.map((s) => ({ ...s })) })
  }

  const flushNow = async () => {
    if (pending.size === 0) return
    const batch = pending
    pending = new Map()
    const r = await flush([...batch.values()]).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))))
    if (r instanceof Error) {
      for (const [key, row] of batch) {
        const seen = pending.get(key)
        pending.set(key, seen ? mergeUsage(row, seen) : row)
      }
    }
  }

  const timer = setInterval(() => void flushNow(), intervalMs)
  timer.unref()
  return {
    recordRequest: (tokenId: string, accountId: string, ip: string | undefined, at = new Date()) =>
      add(tokenId, accountId, at, { requests: 1, sent: [], lastIp: ip }),
    recordSent: (tokenId: string, accountId: string, sent: SentAmount, at = new Date()) =>
      add(tokenId, accountId, at, { requests: 0, sent: [sent], lastIp: undefined }),
    flush: flushNow,
    stop: async () => {
      clearInterval(timer)
      await flushNow()
    },
  }
}

export type UsageAggregator = ReturnType<typeof createUsageAggregator>
