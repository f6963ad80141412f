// Repository of the API-token audit trail (collection api_token_audit_events)
// and of the hourly usage aggregates (api_token_usage). Both are append-only:
// FerretDB's updates are read-then-write, so an `$inc` from two replicas could
// lose counts; each usage flush inserts its own row and readers sum the rows
// of a (token, hour).
import { randomUUID } from "node:crypto"
import mongoose, { Schema } from "mongoose"
import { ApiTokenUsageHour, AuditEvent, AUDIT_EVENT_TYPES, mergeUsage, NewAuditEvent } from "@/domain/audit"
import { UnknownRepositoryError } from "@/domain/shared/errors"
import { isDuplicateKeyError } from "./connection"

const AuditEventSchema = new Schema(
  {
    _id: { type: String, required: true },
    type: { type: String, enum: AUDIT_EVENT_TYPES, required: true },
    accountId: { type: String },
    tokenId: { type: String },
    actor: { type: String, required: true },
    reason: { type: String },
    ip: { type: String },
    at: { type: Date, required: true },
    details: { type: Schema.Types.Mixed },
  },
  { versionKey: false },
)
AuditEventSchema.index({ accountId: 1, at: -1 })
AuditEventSchema.index({ tokenId: 1, at: -1 })

const UsageRowSchema = new Schema(
  {
    _id: { type: String, required: true },
    tokenId: { type: String, required: true },
    accountId: { type: String, required: true },
    hour: { type: Date, required: true },
    requests: { type: Number, required: true },
    sent: [{ _id: false, currency: { type: String, required: true }, amount: { type: Number, required: true } }],
    lastIp: { type: String },
    lastAt: { type: Date, required: true },
  },
  { versionKey: false },
)
UsageRowSchema.index({ accountId: 1, hour: -1 })
UsageRowSchema.index({ tokenId: 1, hour: -1 })

export const AuditEventModel = mongoose.model("ApiTokenAuditEvent", AuditEventSchema, "api_token_audit_events")
export const UsageRowModel = mongoose.model("ApiTokenUsageRow", UsageRowSchema, "api_token_usage")

const unknown = (e: unknown) => new UnknownRepositoryError(e instanceof Error ? e.message : String(e))
type Doc = Record<string, unknown>

const toEvent = (d: Doc): AuditEvent => ({
  id: d._id as string,
  type: d.type as AuditEvent["type"],
  accountId: (d.accountId as string | null) ?? undefined,
  tokenId: (d.tokenId as string | null) ?? undefined,
  actor: d.actor as AuditEvent["actor"],
  reason: (d.reason as string | null) ?? undefined,
  ip: (d.ip as string | null) ?? undefined,
  at: d.at as Date,
  details: (d.details as AuditEvent["details"] | null) ?? undefined,
})

export type AuditFilter = { accountId?: string; tokenId?: string; limit: number }

const filterOf = (f: AuditFilter) => ({
  ...(f.accountId !== undefined ? { accountId: f.accountId } : {}),
  ...(f.tokenId !== undefined ? { tokenId: f.tokenId } : {}),
})

export const AuditRepository = () => ({
  append: async (e: NewAuditEvent): Promise<AuditEvent | UnknownRepositoryError> => {
    try {
      const doc = { _id: randomUUID(), ...e, at: e.at ?? new Date() }
      await AuditEventModel.create(doc)
      return toEvent(doc as unknown as Doc)
    } catch (err) {
      return unknown(err)
    }
  },

  /**
   * Appends the event under an id the caller derived from what it describes, so
   * that every replica and every run writing "the same" event writes one: the
   * unique `_id` is atomic on FerretDB too. `recorded: false` when it was there.
   */
  appendOnce: async (id: string, e: NewAuditEvent): Promise<{ recorded: boolean } | UnknownRepositoryError> => {
    try {
      await AuditEventModel.create({ _id: id, ...e, at: e.at ?? new Date() })
      return { recorded: true }
    } catch (err) {
      if (isDuplicateKeyError(err)) return { recorded: false }
      return unknown(err)
    }
  },

  list: async (f: AuditFilter): Promise<AuditEvent[] | UnknownRepositoryError> => {
    try {
      const docs = await AuditEventModel.find(filterOf(f)).sort({ at: -1 }).limit(f.limit).lean<Doc[]>()
      return docs.map(toEvent)
    } catch (err) {
      return unknown(err)
    }
  },

  appendUsage: async (rows: ApiTokenUsageHour[]): Promise<true | UnknownRepositoryError> => {
    if (rows.length === 0) return true
    try {
      await UsageRowModel.insertMany(rows.map((r) => ({ _id: randomUUID(), ...r })))
      return true
    } catch (err) {
      return unknown(err)
    }
  },

  /** Hourly aggregates, newest hour first: the rows of each (token, hour) summed. */
  usage: async (f: AuditFilter): Promise<ApiTokenUsageHour[] | UnknownRepositoryError> => {
    try {
      // Each flush of each replica wrote one row; a few per hour per token.
      const docs = await UsageRowModel.find(filterOf(f)).sort({ hour: -1 }).limit(f.limit * 50).lean<Doc[]>()
      const byKey = new Map<string, ApiTokenUsageHour>()
      for (const d of docs) {
        const row: ApiTokenUsageHour = {
          tokenId: d.tokenId as string,
          accountId: d.accountId as string,
          hour: d.hour as Date,
          requests: d.requests as number,
          sent: ((d.sent as Array<{ currency: "BTC" | "USD"; amount: number }> | null) ?? []).map((s) => ({ currency: s.currency, amount: s.amount })),
          lastIp: (d.lastIp as string | null) ?? undefined,
          lastAt: d.lastAt as Date,
        }
        const key = `${row.tokenId}|${row.hour.getTime()}`
        const seen = byKey.get(key)
        byKey.set(key, seen ? mergeUsage(seen, row) : row)
      }
      return [...byKey.values()].sort((a, b) => b.hour.getTime() - a.hour.getTime()).slice(0, f.limit)
    } catch (err) {
      return unknown(err)
    }
  },
})
