// Remembers when each API token was last used, in memory, and writes it in one
// batch every few seconds: no database write per request.
export type UsageFlush = (entries: Array<{ tokenId: string; at: Date }>) => Promise<unknown>

export const createUsageRecorder = (flush: UsageFlush, intervalMs = 10_000) => {
  let pending = new Map<string, Date>()
  const counts = new Map<string, number>()
  const flushNow = async () => {
    if (pending.size === 0) return
    const batch = pending
    pending = new Map()
    const result = await flush([...batch].map(([tokenId, at]) => ({ tokenId, at }))).catch((e: unknown) => e)
    if (result instanceof Error) {
      // Keep them for the next round (a later use of the same token wins).
      for (const [id, at] of batch) if (!pending.has(id)) pending.set(id, at)
    }
  }
  const timer = setInterval(() => void flushNow(), intervalMs)
  timer.unref()
  return {
    record: (tokenId: string, at = new Date()) => {
      pending.set(tokenId, at)
      counts.set(tokenId, (counts.get(tokenId) ?? 0) + 1)
    },
    requestCount: (tokenId: string) => counts.get(tokenId) ?? 0,
    flush: flushNow,
    stop: async () => {
      clearInterval(timer)
      await flushNow()
    },
  }
}

export type UsageRecorder = ReturnType<typeof createUsageRecorder>
