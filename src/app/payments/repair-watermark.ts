// The transfer repair with a watermark: a start looks back only from what
// earlier runs settled, not a week each time.
//
// A week of repair is 2,016 bucket lookups (time-buckets.ts) on each of the
// three kinds of records, about 6,000 queries at every start of every replica.
// The watermark (services/mongoose/repair-watermarks.ts) says "every transfer
// record created before it is finished or has been repaired"; a start repairs
// from the watermark minus a margin (repair-window.ts), so what it reads is
// bounded by how long the replicas were down, and a week only without one.
//
// The watermark advances after a run that returned no error and left nothing
// unfinished, to the end of what that run settled (the earliest of its window
// ends), and only when nothing lies uncovered before the run: the start-up run
// began from the watermark (or, without one or past the week's cap, covers
// what the repair ever covered: a week), and a periodic run advances it only
// when the stored watermark is at or past the run's start. A failed run, or
// one after a gap (the periodic runs stopped for longer than their window),
// leaves it where it was: the next start looks back from there.
//
// Replicas race on it (the store is not atomic): at worst it ends lower than
// it could, and a later start looks back further. Never higher than settled.
import type { RepairWatermarksRepositoryType } from "@/services/mongoose/repair-watermarks"
import { RECENT_WINDOW_MS, startUpWindow, StartUpWindow } from "./repair-window"
import type { RepairOptions, RepairRun } from "./transfer"

export type TransferRepairDeps = {
  /** One repair run (Payments.repairTransfers). */
  repair: (opts: RepairOptions) => Promise<RepairRun | Error>
  watermark: Pick<RepairWatermarksRepositoryType, "read" | "advance">
  /**
   * True when no transfer record of any kind exists (debits, invoice claims,
   * budget reservations): a new store, where a week's look back (6,000 bucket
   * lookups) would find nothing. Absent or an Error: the week is read.
   */
  storeIsEmpty?: () => Promise<boolean | Error>
  now?: () => Date
}

/** The start-up run's plan: its window, and the watermark it was drawn from (an Error: unreadable, a week instead). */
export type StartUpPlan = StartUpWindow & { watermark: Date | undefined | Error }

/** A run and what it did to the watermark: true advanced, false left (a gap, or not past it), an Error when the write failed. */
export type WatermarkedRun = { run: RepairRun | Error; advanced: boolean | Error }

const settledAll = (run: RepairRun | Error): run is RepairRun => !(run instanceof Error) && run.left === 0

/** Reads the watermark and draws the start-up window from it; nothing is repaired yet. */
export const planStartUpRepair = async (deps: TransferRepairDeps): Promise<StartUpPlan> => {
  const watermark = await deps.watermark.read()
  const now = (deps.now ?? (() => new Date()))()
  // Checked only without a watermark: afterwards the watermark bounds the window anyway.
  if (watermark === undefined && (await deps.storeIsEmpty?.()) === true) return { windowMs: 0, from: now, basis: "empty", watermark }
  return { ...startUpWindow(now, watermark instanceof Error ? undefined : watermark), watermark }
}

/**
 * The start-up run over its plan; it advances the watermark to what it settled
 * (never back). On an empty store nothing is read, and the watermark is set to
 * the plan's time: every record is younger, and the periodic runs (ten minutes
 * back, each minute) join it from there.
 */
export const runStartUpRepair = async (deps: TransferRepairDeps, plan: StartUpPlan): Promise<WatermarkedRun> => {
  if (plan.basis === "empty") {
    const run: RepairRun = { credited: 0, released: 0, reservationsReleased: 0, left: 0, span: { from: plan.from, through: plan.from } }
    return { run, advanced: await deps.watermark.advance(plan.from) }
  }
  const run = await deps.repair({ windowMs: plan.windowMs })
  if (!settledAll(run)) return { run, advanced: false }
  return { run, advanced: await deps.watermark.advance(run.span.through) }
}

/** A periodic run over the last minutes; it advances the watermark only when contiguous with it. */
export const runRecentRepair = async (deps: TransferRepairDeps, windowMs = RECENT_WINDOW_MS): Promise<WatermarkedRun> => {
  const run = await deps.repair({ windowMs })
  if (!settledAll(run)) return { run, advanced: false }
  return { run, advanced: await deps.watermark.advance(run.span.through, { ifCoveredFrom: run.span.from }) }
}
