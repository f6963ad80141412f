// What an API token has spent of its budget in each budget period, kept
// without transactions.
//
// FerretDB's conditional updates are read-then-write, so a counter document
// guarded by `$inc` would let two parallel payments both slip under a budget.
// Instead each reservation is appended to `api_token_spends` under a unique
// (spendKey, version) index, where spendKey is `<tokenId>:<periodKey>` (see
// budgetPeriodAt: a new period is a new key, starting at 0). Each entry carries
// the payment's value in sats and in cents and the running totals of both
// (`cumulativeSats`, `cumulativeCents`), so what the period has used is the
// head's total in the budget's unit: the only contended read is the head, and
// the unique index makes exactly one of two concurrent writers win version N+1
// (the loser re-reads and re-checks). Keeping both units lets the merchant
// change the budget's unit without losing what was spent.
//
// A refused debit appends a negative "release" entry to the reservation's own
// key (its period, even if a new one has begun since), and so does the
// recovery job for a reservation a crash left without a debit
// (`unreleasedReservations`). `entryKey` (unique) makes a retried reservation
// or release apply once. Entries are only ever appended, never updated.
//
// Entries written before budgets existed (`amount`, `cumulative`, spendKey
// `<tokenId>:<walletId>`) are no period's: only the migration reads them once
// (legacySentSince), to carry the day's total into the new budget's period
// (`carried-over:` entries, which the recovery job never releases).
import { randomUUID } from "node:crypto"
import mongoose, { Schema } from "mongoose"
import { ApiTokenBudget, BudgetExceededError, budgetPeriodAt, checkBudget, PaymentValue, valueInBudgetUnit } from "@/domain/api-tokens"
import { UnknownRepositoryError } from "@/domain/shared/errors"
import { isDuplicateKeyError } from "./connection"
import { bucketOf, findInBuckets, REPAIR_BUCKET_MS } from "./time-buckets"

const ApiTokenSpendSchema = new Schema(
  {
    _id: { type: String, required: true },
    /** `<tokenId>:<periodKey>`: one running total per token and budget period. */
    spendKey: { type: String, required: true },
    tokenId: { type: String, required: true },
    periodKey: { type: String },
    walletId: { type: String, required: true },
    version: { type: Number, required: true },
    /** positive: a reservation; negative: the release of one whose debit was refused or never written */
    sats: { type: Number },
    cents: { type: Number },
    cumulativeSats: { type: Number },
    cumulativeCents: { type: Number },
    entryKey: { type: String, required: true, unique: true },
    transferId: { type: String, required: true },
    createdAt: { type: Date, required: true },
    /** createdAt's five minutes (time-buckets.ts): the recovery job's lookup of recent reservations. */
    repairBucket: { type: String, index: true },
  },
  { versionKey: false },
)
ApiTokenSpendSchema.index({ spendKey: 1, version: 1 }, { unique: true })

export const ApiTokenSpendModel = mongoose.model("ApiTokenSpend", ApiTokenSpendSchema, "api_token_spends")

const MAX_ATTEMPTS = 500
const pause = (attempt: number) => new Promise((r) => setTimeout(r, Math.random() * Math.min(2 + attempt, 25)))
const unknown = (e: unknown) => new UnknownRepositoryError(e instanceof Error ? e.message : String(e))

type Head = { version: number; cumulativeSats: number; cumulativeCents: number }
type EntryDoc = Head & { spendKey: string; tokenId: string; walletId: string; transferId: string; sats: number; cents: number; entryKey: string; createdAt: Date }

/** A payment's claim on its token's budget, before the debit. */
export type SpendReservation = { tokenId: string; walletId: string; transferId: string; value: PaymentValue }
/** A reservation as written: `spendKey` names the period it counts in. */
export type StoredReservation = SpendReservation & { spendKey: string }

/** What a budget's current period has used (in the budget's unit) and when it renews. */
export type BudgetUsage = { used: number; remaining: number; periodStart: Date | undefined; renewsAt: Date | undefined }

const stored = (d: EntryDoc): StoredReservation => ({
  tokenId: d.tokenId,
  walletId: d.walletId,
  transferId: d.transferId,
  spendKey: d.spendKey,
  value: { sats: d.sats, cents: d.cents },
})

/** `now` is the clock that places a reservation in its period (tests inject one). */
export const ApiTokenSpendsRepository = (opts: { now?: () => Date } = {}) => {
  const clock = opts.now ?? (() => new Date())
  const keyOf = (tokenId: string, periodKey: string) => `${tokenId}:${periodKey}`

  const head = async (spendKey: string): Promise<Head> =>
    (await ApiTokenSpendModel.findOne({ spendKey }).sort({ version: -1 }).lean<Head>()) ?? { version: 0, cumulativeSats: 0, cumulativeCents: 0 }

  const findEntry = (entryKey: string) => ApiTokenSpendModel.findOne({ entryKey }).lean<EntryDoc>()

  /**
   * Appends one entry to `spendKey()` (re-read each attempt: a retry after
   * midnight counts in the new day). `check` sees the head and may refuse.
   * Answers the key it wrote to, or `"existing"` when an entry was already
   * written under `entryKey` (a retry of the same transfer).
   */
  const appendEntry = async <E extends Error>(e: {
    spendKey: (now: Date) => { spendKey: string; periodKey: string | undefined }
    entryKey: string
    tokenId: string
    walletId: string
    transferId: string
    value: PaymentValue
    check?: (h: Head) => true | E
  }): Promise<{ spendKey: string } | "existing" | E | UnknownRepositoryError> => {
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const now = clock()
        const { spendKey, periodKey } = e.spendKey(now)
        const h = await head(spendKey)
        const verdict = e.check?.(h) ?? true
        if (verdict !== true) {
          if (await ApiTokenSpendModel.exists({ entryKey: e.entryKey })) return "existing"
          return verdict
        }
        try {
          await ApiTokenSpendModel.create({
            _id: randomUUID(),
            spendKey,
            tokenId: e.tokenId,
            periodKey,
            walletId: e.walletId,
            version: h.version + 1,
            sats: e.value.sats,
            cents: e.value.cents,
            cumulativeSats: h.cumulativeSats + e.value.sats,
            cumulativeCents: h.cumulativeCents + e.value.cents,
            entryKey: e.entryKey,
            transferId: e.transferId,
            createdAt: now,
            repairBucket: bucketOf(now, REPAIR_BUCKET_MS),
          })
          return { spendKey }
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err
          if (await ApiTokenSpendModel.exists({ entryKey: e.entryKey })) return "existing"
          await pause(attempt)
        }
      }
      return new UnknownRepositoryError(`spend log of token ${e.tokenId} is too contended, try again`)
    } catch (err) {
      return unknown(err)
    }
  }

  /**
   * Reserves the payment's value under `budget` in the current period,
   * atomically with respect to every other reservation of this token.
   * A retry of the same transfer answers its first reservation.
   */
  const reserve = async (
    r: SpendReservation,
    budget: ApiTokenBudget,
  ): Promise<StoredReservation | BudgetExceededError | UnknownRepositoryError> => {
    const entryKey = `reserve:${r.transferId}`
    let renewsAt: Date | undefined
    const done = await appendEntry({
      ...r,
      entryKey,
      spendKey: (now) => {
        const period = budgetPeriodAt(budget.period, now)
        renewsAt = period.renewsAt
        return { spendKey: keyOf(r.tokenId, period.key), periodKey: period.key }
      },
      check: (h) => checkBudget(budget, budget.unit === "SATS" ? h.cumulativeSats : h.cumulativeCents, r.value, renewsAt),
    })
    if (done instanceof Error) return done
    if (done !== "existing") return { ...r, spendKey: done.spendKey }
    // A retry: the first reservation stands, in the period it was made in.
    try {
      const d = await findEntry(entryKey)
      return d ? stored(d) : new UnknownRepositoryError(`reservation of transfer ${r.transferId} not found after writing it`)
    } catch (e) {
      return unknown(e)
    }
  }

  /** Gives a reservation back (its debit was refused or never happened), in the period it counted in. */
  const release = async (r: StoredReservation): Promise<true | UnknownRepositoryError> => {
    const done = await appendEntry<never>({
      tokenId: r.tokenId,
      walletId: r.walletId,
      transferId: r.transferId,
      value: { sats: -r.value.sats, cents: -r.value.cents },
      entryKey: `release:${r.transferId}`,
      spendKey: () => ({ spendKey: r.spendKey, periodKey: r.spendKey.slice(r.tokenId.length + 1) }),
    })
    return done instanceof Error ? done : true
  }

  /** What the budget's period at `now` has used, what remains, and when it renews. */
  const usage = async (tokenId: string, budget: ApiTokenBudget, now = clock()): Promise<BudgetUsage | UnknownRepositoryError> => {
    try {
      const period = budgetPeriodAt(budget.period, now)
      const h = await head(keyOf(tokenId, period.key))
      const used = Math.max(0, valueInBudgetUnit(budget, { sats: h.cumulativeSats, cents: h.cumulativeCents }))
      return { used, remaining: Math.max(0, budget.amount - used), periodStart: period.start, renewsAt: period.renewsAt }
    } catch (e) {
      return unknown(e)
    }
  }

  /**
   * Reservations written in [newerThan, olderThan) that have no release entry
   * yet (oldest first, at most 5000 a call): the recovery job's candidates.
   */
  const unreleasedReservations = async (window: { newerThan: Date; olderThan: Date }): Promise<StoredReservation[] | UnknownRepositoryError> => {
    try {
      // By repair buckets (time-buckets.ts), from the window's start to now: a
      // release follows its reservation, so it is among these entries too.
      const since = await findInBuckets<EntryDoc>(
        { from: window.newerThan, to: new Date(Date.now() + REPAIR_BUCKET_MS), sizeMs: REPAIR_BUCKET_MS },
        (repairBucket) => ApiTokenSpendModel.find({ repairBucket }).lean<EntryDoc[]>(),
        () => ApiTokenSpendModel.find({ createdAt: { $gte: window.newerThan } }).lean<EntryDoc[]>(),
      )
      const released = new Set(since.filter((r) => r.entryKey.startsWith("release:")).map((r) => r.transferId))
      // Reservations only: a carried-over total has no debit and must stay.
      const reservations = since
        .filter((r) => r.sats > 0 && r.entryKey.startsWith("reserve:") && r.createdAt >= window.newerThan && r.createdAt < window.olderThan)
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
        .slice(0, 5000)
      return reservations.filter((r) => !released.has(r.transferId)).map(stored)
    } catch (e) {
      return unknown(e)
    }
  }

  /**
   * What a token sent since `since` under the rule before budgets (entries
   * keyed `<tokenId>:<walletId>`, `amount` in that wallet's unit, releases
   * negative), per wallet: what the migration carries into today's budget.
   */
  const legacySentSince = async (tokenId: string, since: Date): Promise<Map<string, number> | UnknownRepositoryError> => {
    try {
      const docs = await ApiTokenSpendModel.collection
        .find({ tokenId, amount: { $exists: true }, createdAt: { $gte: since } }, { projection: { walletId: 1, amount: 1 } })
        .toArray()
      const out = new Map<string, number>()
      for (const d of docs) out.set(d.walletId as string, (out.get(d.walletId as string) ?? 0) + (d.amount as number))
      return out
    } catch (e) {
      return unknown(e)
    }
  }

  /**
   * Counts `value` in the period of `budget` that `at` falls in, under
   * `entryKey` (unique: a second call, or another replica's, is a no-op).
   */
  const carryInto = async (tokenId: string, budget: ApiTokenBudget, value: PaymentValue, entryKey: string, at: Date) => {
    const periodKey = budgetPeriodAt(budget.period, at).key
    const done = await appendEntry<never>({
      tokenId,
      walletId: "carried-over",
      transferId: entryKey,
      value,
      entryKey,
      spendKey: () => ({ spendKey: keyOf(tokenId, periodKey), periodKey }),
    })
    return done instanceof Error ? done : true
  }

  return {
    reserve,
    release,
    legacySentSince,
    carryInto,
    usage,
    unreleasedReservations,
    /** Whether the reservation of this transfer was given back (by the payment or the recovery job). */
    isReleased: async (transferId: string): Promise<boolean | UnknownRepositoryError> => {
      try {
        return (await ApiTokenSpendModel.exists({ entryKey: `release:${transferId}` })) !== null
      } catch (e) {
        return unknown(e)
      }
    },
  }
}
