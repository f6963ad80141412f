// The transfer repair's windows (src/app/payments/repair-window.ts), as
// arithmetic over one clock: what a run reads, what it settles, and how far
// back a start looks from the repair watermark.
import {
  repairWindows,
  settledSpan,
  START_UP_MAX_WINDOW_MS,
  startUpWindow,
  WATERMARK_MARGIN_MS,
} from "@/app/payments/repair-window"

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE
const now = new Date("2026-12-03T12:00:00Z")
const ago = (ms: number) => new Date(now.getTime() - ms)

describe("the transfer repair's windows", () => {
  it("a periodic run reads ten minutes of debits ending 30 s ago, and ten minutes of claims and reservations ending 5 min ago", () => {
    expect(repairWindows(now)).toEqual({
      debits: { newerThan: ago(10.5 * MINUTE), olderThan: ago(30_000) },
      claims: { newerThan: ago(15 * MINUTE), olderThan: ago(5 * MINUTE) },
      reservations: { newerThan: ago(15 * MINUTE), olderThan: ago(5 * MINUTE) },
    })
  })

  it("a run settles, for all three kinds at once, from the latest window start to the earliest window end", () => {
    expect(settledSpan(repairWindows(now))).toEqual({ from: ago(10.5 * MINUTE), through: ago(5 * MINUTE) })
    expect(settledSpan(repairWindows(now, { olderThanMs: 0, abandonedAfterMs: MINUTE, windowMs: 60 * MINUTE }))).toEqual({
      from: ago(60 * MINUTE),
      through: ago(MINUTE),
    })
  })

  it("a start with a watermark looks back from the watermark minus the margin", () => {
    const watermark = ago(3 * 60 * MINUTE)
    const w = startUpWindow(now, watermark)
    expect(w).toEqual({ basis: "watermark", from: new Date(watermark.getTime() - WATERMARK_MARGIN_MS), windowMs: 3 * 60 * MINUTE + WATERMARK_MARGIN_MS - 30_000 })
    // The run over that window begins its debits there, and its claims and reservations earlier still: nothing after the start is left out.
    expect(settledSpan(repairWindows(now, { windowMs: w.windowMs })).from).toEqual(w.from)
  })

  it("a start without a watermark looks back a week, as before the watermark existed", () => {
    expect(startUpWindow(now, undefined)).toEqual({ basis: "week", windowMs: START_UP_MAX_WINDOW_MS, from: ago(7 * DAY + 30_000) })
  })

  it("a start after more than a week down looks back a week, no further", () => {
    expect(startUpWindow(now, ago(10 * DAY))).toEqual({ basis: "capped", windowMs: START_UP_MAX_WINDOW_MS, from: ago(7 * DAY + 30_000) })
  })

  it("a start right after a stop still looks back at least the periodic run's ten minutes (a watermark of seconds ago, or ahead of this clock)", () => {
    expect(startUpWindow(now, ago(1000)).windowMs).toBeGreaterThanOrEqual(10 * MINUTE)
    expect(startUpWindow(now, ago(-60 * MINUTE))).toEqual({ basis: "watermark", windowMs: 10 * MINUTE, from: ago(10.5 * MINUTE) })
  })
})
