// The idempotency keys of payments: one record per (account, key), inserted
// before any money moves. The unique `_id` is the atomic step (FerretDB has no
// transactions and its conditional updates are read-then-write): of two
// requests racing with one key, exactly one inserts the record, and the other
// reads it back and compares fingerprints. The record's `transferId` names the
// ledger entries, the invoice claim and the spend reservation of the payment,
// so a replay of the same request resumes that payment and never starts a
// second one.
import mongoose, { Schema } from "mongoose"
import { UnknownRepositoryError } from "@/domain/shared/errors"
import { isDuplicateKeyError } from "./connection"

const IdempotencyKeySchema = new Schema(
  {
    /** idempotencyScopeId(accountId, key): a hash, the raw key is not stored */
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    fingerprint: { type: String, required: true },
    transferId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
)

export const IdempotencyKeyModel = mongoose.model("IdempotencyKey", IdempotencyKeySchema, "idempotency_keys")

export type IdempotencyRecord = { id: string; accountId: string; fingerprint: string; transferId: string; createdAt: Date }
type Doc = { _id: string; accountId: string; fingerprint: string; transferId: string; createdAt: Date }
const toRecord = (d: Doc): IdempotencyRecord => ({
  id: d._id,
  accountId: d.accountId,
  fingerprint: d.fingerprint,
  transferId: d.transferId,
  createdAt: d.createdAt,
})
const unknown = (e: unknown) => new UnknownRepositoryError(e instanceof Error ? e.message : String(e))

export const IdempotencyKeysRepository = () => {
  /**
   * Inserts the record, or answers the one already there (`created: false`).
   * A record deleted between our failed insert and our read (its payment was
   * refused) is inserted again.
   */
  const claim = async (
    r: Omit<IdempotencyRecord, "createdAt">,
  ): Promise<{ created: boolean; record: IdempotencyRecord } | UnknownRepositoryError> => {
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        const doc: Doc = { _id: r.id, accountId: r.accountId, fingerprint: r.fingerprint, transferId: r.transferId, createdAt: new Date() }
        try {
          await IdempotencyKeyModel.create(doc)
          return { created: true, record: toRecord(doc) }
        } catch (e) {
          if (!isDuplicateKeyError(e)) throw e
        }
        const existing = await IdempotencyKeyModel.findById(r.id).lean<Doc>()
        if (existing) return { created: false, record: toRecord(existing) }
      }
      return new UnknownRepositoryError("idempotency key record is contended, try again")
    } catch (e) {
      return unknown(e)
    }
  }

  /** Frees a key whose payment was refused before any money moved (only the transfer holding it may). */
  const release = async (id: string, transferId: string): Promise<true | UnknownRepositoryError> => {
    try {
      await IdempotencyKeyModel.deleteOne({ _id: id, transferId })
      return true
    } catch (e) {
      return unknown(e)
    }
  }

  return { claim, release }
}
