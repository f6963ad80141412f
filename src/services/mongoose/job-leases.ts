// Background jobs that must run once across replicas (cleanup, reconcile): each
// period of a job is claimed by inserting `<job>:<interval ms>:<period>` under
// the unique `_id`, the one write FerretDB makes atomic. Of all replicas ticking
// in that period exactly one inserts it and runs the job; the others find it
// taken. No holder is renewed or waited for: when the replica that ran a period
// dies, the next period is simply claimed by another.
import { hostname } from "node:os"
import { randomUUID } from "node:crypto"
import mongoose, { Schema } from "mongoose"
import { UnknownRepositoryError } from "@/domain/shared/errors"
import { isDuplicateKeyError } from "./connection"

const JobLeaseSchema = new Schema(
  {
    _id: { type: String, required: true },
    job: { type: String, required: true },
    period: { type: Number, required: true },
    holder: { type: String, required: true },
    claimedAt: { type: Date, required: true },
  },
  { versionKey: false },
)

export const JobLeaseModel = mongoose.model("JobLease", JobLeaseSchema, "job_leases")

/** This process, as a lease names it. */
export const processHolderId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`

/** Periods kept for a look afterwards; older claims are deleted, one by `_id` per claim. */
const KEEP_PERIODS = 100

export const leaseId = (job: string, intervalMs: number, period: number) => `${job}:${intervalMs}:${period}`

export const JobLeasesRepository = (holder = processHolderId) => {
  /** True when this call claimed the period, false when another claim has it. */
  const claim = async (job: string, intervalMs: number, period: number): Promise<boolean | UnknownRepositoryError> => {
    try {
      await JobLeaseModel.create({ _id: leaseId(job, intervalMs, period), job, period, holder, claimedAt: new Date() })
    } catch (e) {
      if (isDuplicateKeyError(e)) return false
      return new UnknownRepositoryError(e instanceof Error ? e.message : String(e))
    }
    await JobLeaseModel.deleteOne({ _id: leaseId(job, intervalMs, period - KEEP_PERIODS) }).catch(() => undefined)
    return true
  }
  return { claim }
}
