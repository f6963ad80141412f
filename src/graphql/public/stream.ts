// Small async-iterator helpers for subscriptions. Written as plain iterator
// objects (not async generators) so a client's unsubscribe (`return()`) ends
// a wait at once and always unsubscribes from the event bus.

/** One payload, then done (e.g. an error, or a status that is already final). */
export const once = <T>(value: T): AsyncIterableIterator<T> => {
  let sent = false
  return {
    next: async () => (sent ? { value: undefined, done: true } : ((sent = true), { value, done: false })),
    return: async () => ((sent = true), { value: undefined, done: true }),
    [Symbol.asyncIterator]() {
      return this
    },
  }
}

/**
 * Maps the events of `source` to payloads. `map` may drop an event (undefined);
 * the stream ends after a payload for which `isLast` holds, or at `deadline`
 * with `onDeadline()`'s payload.
 */
export const mapEvents = <E, P>(
  source: AsyncIterableIterator<E>,
  map: (e: E) => Promise<P | undefined> | P | undefined,
  opts: { isLast?: (p: P) => boolean; deadline?: Date; onDeadline?: () => P } = {},
): AsyncIterableIterator<P> => {
  let finished = false
  let timer: NodeJS.Timeout | undefined
  let deadlineHit: Promise<"deadline"> | undefined
  if (opts.deadline && opts.onDeadline) {
    const ms = Math.max(0, Math.min(opts.deadline.getTime() - Date.now(), 2 ** 31 - 1))
    deadlineHit = new Promise((resolve) => {
      timer = setTimeout(() => resolve("deadline"), ms)
      timer.unref()
    })
  }
  const finish = async (): Promise<IteratorResult<P>> => {
    if (!finished) {
      finished = true
      if (timer) clearTimeout(timer)
      await source.return?.()
    }
    return { value: undefined, done: true }
  }
  const next = async (): Promise<IteratorResult<P>> => {
    while (!finished) {
      const r = await (deadlineHit ? Promise.race([source.next(), deadlineHit]) : source.next())
      if (finished) break
      if (r === "deadline") {
        const p = opts.onDeadline!()
        await finish()
        return { value: p, done: false }
      }
      if (r.done) return finish()
      const p = await map(r.value)
      if (p === undefined) continue
      if (opts.isLast?.(p)) await finish()
      return { value: p, done: false }
    }
    return { value: undefined, done: true }
  }
  return {
    next,
    return: finish,
    [Symbol.asyncIterator]() {
      return this
    },
  }
}
