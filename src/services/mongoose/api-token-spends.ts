// The rolling-24 h send total of an API token, kept without transactions.
//
// FerretDB's conditional updates are read-then-write, so a counter document
// guarded by `$inc` would let two parallel payments both slip under a limit.
// Instead each reservation is appended to `api_token_spends` under a unique
// (spendKey, version) index, carrying the running total ever reserved
// (`cumulative`). The window total is `head.cumulative - base.cumulative`,
// where base is the newest entry older than 24 h: entries older than the
// window never change, so the only contended read is the head, and the unique
// index makes exactly one of two concurrent writers win version N+1 (the loser
// re-reads and re-checks). A refused debit appends a negative "release" entry,
// and so does the recovery job for a reservation a crash left without a debit
// (`unreleasedReservations`). `entryKey` (unique) makes a retried reservation
// or release apply once. Entries are only ever appended, never updated.
import { randomUUID } from "node:crypto"
import mongoose, { Schema } from "mongoose"
import { DailySendLimitExceededError } from "@/domain/api-tokens"
import { UnknownRepositoryError } from "@/domain/shared/errors"
import { isDuplicateKeyError } from "./connection"

const ApiTokenSpendSchema = new Schema(
  {
    _id: { type: String, required: true },
    /** `<tokenId>:<walletId>`: the limit counts in the unit of the wallet sent from. */
    spendKey: { type: String, required: true },
    tokenId: { type: String, required: true },
    walletId: { type: String, required: true },
    version: { type: Number, required: true },
    /** positive: a reservation; negative: the release of one whose debit was refused or never written */
    amount: { type: Number, required: true },
    cumulative: { type: Number, required: true },
    entryKey: { type: String, required: true, unique: true },
    transferId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
)
ApiTokenSpendSchema.index({ spendKey: 1, version: 1 }, { unique: true })
ApiTokenSpendSchema.index({ spendKey: 1, createdAt: -1 })
// The recovery job's scan of recent reservations across every token.
ApiTokenSpendSchema.index({ createdAt: -1 })

export const ApiTokenSpendModel = mongoose.model("ApiTokenSpend", ApiTokenSpendSchema, "api_token_spends")

export const DAILY_WINDOW_MS = 24 * 60 * 60_000
const MAX_ATTEMPTS = 500
const pause = (attempt: number) => new Promise((r) => setTimeout(r, Math.random() * Math.min(2 + attempt, 25)))
const unknown = (e: unknown) => new UnknownRepositoryError(e instanceof Error ? e.message : String(e))

type Doc = { version: number; cumulative: number; createdAt: Date }
type EntryDoc = Doc & { tokenId: string; walletId: string; transferId: string; amount: number; entryKey: string }

export type SpendReservation = { tokenId: string; walletId: string; transferId: string; amount: number }

export const ApiTokenSpendsRepository = () => {
  const keyOf = (tokenId: string, walletId: string) => `${tokenId}:${walletId}`

  const head = async (spendKey: string) =>
    (await ApiTokenSpendModel.findOne({ spendKey }).sort({ version: -1 }).lean<Doc>()) ?? { version: 0, cumulative: 0 }

  /** The cumulative total at the window's start (the newest entry at or before it). */
  const base = async (spendKey: string, now: Date) => {
    const d = await ApiTokenSpendModel.findOne({ spendKey, createdAt: { $lte: new Date(now.getTime() - DAILY_WINDOW_MS) } })
      .sort({ createdAt: -1 })
      .lean<Doc>()
    return d?.cumulative ?? 0
  }

  const sentInWindow = async (tokenId: string, walletId: string, now = new Date()): Promise<number | UnknownRepositoryError> => {
    try {
      const key = keyOf(tokenId, walletId)
      const [h, b] = await Promise.all([head(key), base(key, now)])
      return Math.max(0, h.cumulative - b)
    } catch (e) {
      return unknown(e)
    }
  }

  const appendEntry = async (
    r: SpendReservation & { entryKey: string; limit: number | undefined },
  ): Promise<true | DailySendLimitExceededError | UnknownRepositoryError> => {
    const spendKey = keyOf(r.tokenId, r.walletId)
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const now = new Date()
        const h = await head(spendKey)
        if (r.limit !== undefined) {
          const inWindow = Math.max(0, h.cumulative - (await base(spendKey, now)))
          if (inWindow + r.amount > r.limit) {
            if (await ApiTokenSpendModel.exists({ entryKey: r.entryKey })) return true
            return new DailySendLimitExceededError(
              `this API token may send ${r.limit} per 24 h from this wallet; ${inWindow} already sent, ${r.amount} more would exceed it`,
            )
          }
        }
        try {
          await ApiTokenSpendModel.create({
            _id: randomUUID(),
            spendKey,
            tokenId: r.tokenId,
            walletId: r.walletId,
            version: h.version + 1,
            amount: r.amount,
            cumulative: h.cumulative + r.amount,
            entryKey: r.entryKey,
            transferId: r.transferId,
            createdAt: now,
          })
          return true
        } catch (e) {
          if (!isDuplicateKeyError(e)) throw e
          if (await ApiTokenSpendModel.exists({ entryKey: r.entryKey })) return true
          await pause(attempt)
        }
      }
      return new UnknownRepositoryError(`spend log of token ${r.tokenId} is too contended, try again`)
    } catch (e) {
      return unknown(e)
    }
  }

  /**
   * Reservations written in [newerThan, olderThan) that have no release entry
   * yet (oldest first, at most 5000 a call): the recovery job's candidates.
   */
  const unreleasedReservations = async (window: { newerThan: Date; olderThan: Date }): Promise<SpendReservation[] | UnknownRepositoryError> => {
    try {
      const reservations = await ApiTokenSpendModel.find({ amount: { $gt: 0 }, createdAt: { $gte: window.newerThan, $lt: window.olderThan } })
        .sort({ createdAt: 1 })
        .limit(5000)
        .lean<EntryDoc[]>()
      if (reservations.length === 0) return []
      const releases = await ApiTokenSpendModel.find({ entryKey: { $in: reservations.map((r) => `release:${r.transferId}`) } })
        .select({ transferId: 1 })
        .lean<EntryDoc[]>()
      const released = new Set(releases.map((r) => r.transferId))
      return reservations
        .filter((r) => !released.has(r.transferId))
        .map((r) => ({ tokenId: r.tokenId, walletId: r.walletId, transferId: r.transferId, amount: r.amount }))
    } catch (e) {
      return unknown(e)
    }
  }

  return {
    sentInWindow,
    unreleasedReservations,
    /** Reserves `amount` under `limit`, atomically with respect to every other reservation of this token and wallet. */
    reserve: (r: SpendReservation, limit: number) => appendEntry({ ...r, entryKey: `reserve:${r.transferId}`, limit }),
    /** Whether the reservation of this transfer was given back (by the payment or the recovery job). */
    isReleased: async (transferId: string): Promise<boolean | UnknownRepositoryError> => {
      try {
        return (await ApiTokenSpendModel.exists({ entryKey: `release:${transferId}` })) !== null
      } catch (e) {
        return unknown(e)
      }
    },
    /** Gives a reservation back (its debit was refused or never happened). */
    release: async (r: SpendReservation): Promise<true | UnknownRepositoryError> => {
      const done = await appendEntry({ ...r, amount: -r.amount, entryKey: `release:${r.transferId}`, limit: undefined })
      return done instanceof DailySendLimitExceededError ? true : done
    },
  }
}
