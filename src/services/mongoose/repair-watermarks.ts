// How far back a background repair has settled, so that a start looks back
// only as far as needed (the transfer repair: src/app/payments/repair-watermark.ts).
// One small document per repair, read and written by `_id`: `through` means
// "every record created before it is finished or has been repaired".
//
// Several replicas advance it concurrently, and FerretDB makes no conditional
// update atomic (only the insert under the unique `_id` is): the write below is
// conditioned on the value it read, which narrows the race but does not close
// it, so two replicas racing may leave the lower of their values. That is
// safe: a lower watermark only makes a later start look further back.
import mongoose, { Schema } from "mongoose"
import { UnknownRepositoryError } from "@/domain/shared/errors"
import { ApiTokenSpendModel } from "./api-token-spends"
import { isDuplicateKeyError } from "./connection"
import { InvoiceSettlementModel, LedgerEntryModel } from "./ledger-schema"

const RepairWatermarkSchema = new Schema(
  {
    _id: { type: String, required: true },
    through: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
)

export const RepairWatermarkModel = mongoose.model("RepairWatermark", RepairWatermarkSchema, "repair_watermarks")

/** The transfer repair's watermark (ledger debits, invoice claims, budget reservations). */
export const TRANSFERS_WATERMARK = "transfers"

const unknown = (e: unknown) => new UnknownRepositoryError(e instanceof Error ? e.message : String(e))

export const RepairWatermarksRepository = (name = TRANSFERS_WATERMARK) => {
  /** The stored watermark; nothing before any run settled (first start, or after an upgrade). */
  const read = async (): Promise<Date | undefined | UnknownRepositoryError> => {
    try {
      const d = await RepairWatermarkModel.findById(name).lean<{ through: Date }>()
      return d ? new Date(d.through) : undefined
    } catch (e) {
      return unknown(e)
    }
  }

  /**
   * Moves the watermark to `through`, never back: true when written, false when
   * the stored one is at or past it already, or, with `ifCoveredFrom`, when the
   * stored one is missing or before it (the run that settled up to `through`
   * began later than what is covered: there is a gap).
   */
  const advance = async (through: Date, o: { ifCoveredFrom?: Date } = {}): Promise<boolean | UnknownRepositoryError> => {
    try {
      const current = await RepairWatermarkModel.findById(name).lean<{ through: Date }>()
      const stored = current ? new Date(current.through) : undefined
      if (stored && stored >= through) return false
      if (o.ifCoveredFrom && (!stored || stored < o.ifCoveredFrom)) return false
      if (!stored) {
        try {
          await RepairWatermarkModel.create({ _id: name, through, updatedAt: new Date() })
          return true
        } catch (e) {
          if (isDuplicateKeyError(e)) return false // another replica wrote the first one
          throw e
        }
      }
      const r = await RepairWatermarkModel.updateOne({ _id: name, through: stored }, { $set: { through, updatedAt: new Date() } })
      return r.modifiedCount > 0
    } catch (e) {
      return unknown(e)
    }
  }

  return { read, advance }
}

export type RepairWatermarksRepositoryType = ReturnType<typeof RepairWatermarksRepository>

/**
 * True when none of the records the transfer repair reads exists (ledger
 * entries, invoice claims, budget reservations): a new store. One `findOne`
 * per collection, the next only when the one before is empty.
 */
export const transferStoreIsEmpty = async (): Promise<boolean | UnknownRepositoryError> => {
  try {
    const holdsAny = async (collection: string) => (await mongoose.connection.collection(collection).findOne({}, { projection: { _id: 1 } })) !== null
    for (const model of [LedgerEntryModel, InvoiceSettlementModel, ApiTokenSpendModel]) {
      if (await holdsAny(model.collection.collectionName)) return false
    }
    return true
  } catch (e) {
    return unknown(e)
  }
}
