// The time windows of the transfer repair (completeUnfinishedTransfers), as
// arithmetic over one `now`: no I/O, so a unit test states them exactly.
//
// A repair run reads three kinds of records, each over its own window of the
// same length `windowMs`: the debits without credit end `olderThanMs` ago (a
// transfer in flight is left alone), the invoice claims and the budget
// reservations end `abandonedAfterMs` ago (a slow payment keeps its claim).
// What a run settles for every kind at once is the span from the latest of the
// window starts to the earliest of the window ends.
//
// The start-up run looks back from the repair watermark (what earlier runs
// settled, src/app/payments/repair-watermark.ts) minus a margin, at most a week;
// without a watermark, a week, unless the store holds no transfer record at all.

export type RepairOptions = { olderThanMs?: number; windowMs?: number; abandonedAfterMs?: number }
export type TimeWindow = { newerThan: Date; olderThan: Date }
export type RepairWindows = { debits: TimeWindow; claims: TimeWindow; reservations: TimeWindow }
/** Every record of every kind created in [from, through) was read by the run. */
export type SettledSpan = { from: Date; through: Date }

/** A debit younger than this is a transfer in flight: its credit is on its way. */
export const IN_FLIGHT_MS = 30_000
/** A claim or a reservation is abandoned when no debit followed it for this long (far longer than any debit takes). */
export const ABANDONED_AFTER_MS = 5 * 60_000
/** The periodic run's look back (every minute, on every replica). */
export const RECENT_WINDOW_MS = 10 * 60_000
/** The start-up run never looks back further than this (what the repair covered before the watermark). */
export const START_UP_MAX_WINDOW_MS = 7 * 24 * 3600_000
/** The start-up run begins this long before the watermark: clocks of replicas disagree a little. */
export const WATERMARK_MARGIN_MS = 15 * 60_000

const ms = (d: Date) => d.getTime()

export const repairWindows = (now: Date, opts: RepairOptions = {}): RepairWindows => {
  const windowMs = opts.windowMs ?? RECENT_WINDOW_MS
  const window = (endsAgoMs: number): TimeWindow => {
    const olderThan = new Date(ms(now) - endsAgoMs)
    return { newerThan: new Date(ms(olderThan) - windowMs), olderThan }
  }
  const abandoned = window(opts.abandonedAfterMs ?? ABANDONED_AFTER_MS)
  return { debits: window(opts.olderThanMs ?? IN_FLIGHT_MS), claims: abandoned, reservations: abandoned }
}

/** What a run over these windows settles for all three kinds: the latest start to the earliest end. */
export const settledSpan = (w: RepairWindows): SettledSpan => {
  const all = [w.debits, w.claims, w.reservations]
  return {
    from: new Date(Math.max(...all.map((x) => ms(x.newerThan)))),
    through: new Date(Math.min(...all.map((x) => ms(x.olderThan)))),
  }
}

export type StartUpWindow = {
  /** The repair's `windowMs`. */
  windowMs: number
  /** Where the debits' window (the latest of the starts) begins. */
  from: Date
  /**
   * `watermark`: from the watermark minus the margin; `week`: no watermark (or
   * unreadable); `capped`: the watermark is older than a week; `empty`: no
   * watermark and no transfer record at all (a new store): nothing to read.
   */
  basis: "watermark" | "week" | "capped" | "empty"
}

/**
 * The start-up run's window: from `watermark` minus the margin to now, never
 * more than a week and never less than the periodic run's; a week without a
 * watermark.
 */
export const startUpWindow = (now: Date, watermark: Date | undefined, opts: Omit<RepairOptions, "windowMs"> = {}): StartUpWindow => {
  const debitsEnd = ms(now) - (opts.olderThanMs ?? IN_FLIGHT_MS)
  const full = (basis: StartUpWindow["basis"]): StartUpWindow => ({
    windowMs: START_UP_MAX_WINDOW_MS,
    from: new Date(debitsEnd - START_UP_MAX_WINDOW_MS),
    basis,
  })
  if (!watermark) return full("week")
  const wanted = debitsEnd - (ms(watermark) - WATERMARK_MARGIN_MS)
  if (wanted > START_UP_MAX_WINDOW_MS) return full("capped")
  const windowMs = Math.max(wanted, RECENT_WINDOW_MS)
  return { windowMs, from: new Date(debitsEnd - windowMs), basis: "watermark" }
}
