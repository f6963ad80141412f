// Cluster-wide counts that are too costly to take on every replica (the active
// API tokens: FerretDB counts by decoding every matching document). One replica
// counts under a job lease and writes the result here; every replica reads it
// back by `_id`, a lookup whose cost does not grow with what was counted.
import mongoose, { Schema } from "mongoose"
import { UnknownRepositoryError } from "@/domain/shared/errors"

const GaugeSnapshotSchema = new Schema(
  {
    _id: { type: String, required: true },
    value: { type: Number, required: true },
    /** When the count began: changes after it are not in `value`. */
    countedAt: { type: Date, required: true },
  },
  { versionKey: false },
)

export const GaugeSnapshotModel = mongoose.model("GaugeSnapshot", GaugeSnapshotSchema, "gauge_snapshots")

export type GaugeSnapshot = { value: number; countedAt: Date }

const unknown = (e: unknown) => new UnknownRepositoryError(e instanceof Error ? e.message : String(e))

export const GaugeSnapshotsRepository = () => {
  const read = async (name: string): Promise<GaugeSnapshot | undefined | UnknownRepositoryError> => {
    try {
      const d = await GaugeSnapshotModel.findById(name).lean<{ value: number; countedAt: Date }>()
      return d ? { value: d.value, countedAt: new Date(d.countedAt) } : undefined
    } catch (e) {
      return unknown(e)
    }
  }
  /** Last count wins; a count that began before the stored one never replaces it. */
  const write = async (name: string, s: GaugeSnapshot): Promise<true | UnknownRepositoryError> => {
    try {
      const current = await GaugeSnapshotModel.findById(name).lean<{ countedAt: Date }>()
      if (current && new Date(current.countedAt) >= s.countedAt) return true
      await GaugeSnapshotModel.updateOne({ _id: name }, { $set: { value: s.value, countedAt: s.countedAt } }, { upsert: true })
      return true
    } catch (e) {
      return unknown(e)
    }
  }
  return { read, write }
}

export type GaugeSnapshotsRepositoryType = ReturnType<typeof GaugeSnapshotsRepository>
