// apiTokenAuditEvents (the owner) and `admin audit <accountId>` (operators):
// the account's audit events merged with its hourly usage, newest first.
import type { AccountId } from "@/domain/accounts"
import { ApiTokenNotFoundError, checkedToApiTokenId } from "@/domain/api-tokens"
import type { ApiTokenUsageHour, AuditEvent } from "@/domain/audit"
import { AuditRepository } from "@/services/mongoose/audit-events"
import type { ManagementCaller } from "../api-tokens/deps"
import { requireUserSession } from "../api-tokens/require-user-session"

export const AUDIT_PAGE_DEFAULT = 50
export const AUDIT_PAGE_MAX = 500

export type AuditEntry = AuditEvent & { usage?: Pick<ApiTokenUsageHour, "requests" | "sent" | "lastIp"> }

export const listAuditEventsOfAccount = async (
  accountId: AccountId,
  opts: { tokenId?: string; first?: number } = {},
): Promise<AuditEntry[] | Error> => {
  const first = Number.isFinite(opts.first) ? Math.trunc(opts.first as number) : AUDIT_PAGE_DEFAULT
  const limit = Math.min(Math.max(1, first), AUDIT_PAGE_MAX)
  let tokenId: string | undefined
  if (opts.tokenId !== undefined) {
    const id = checkedToApiTokenId(opts.tokenId)
    if (id instanceof Error) return new ApiTokenNotFoundError()
    tokenId = id
  }
  const repo = AuditRepository()
  const [events, usage] = await Promise.all([repo.list({ accountId, tokenId, limit }), repo.usage({ accountId, tokenId, limit })])
  if (events instanceof Error) return events
  if (usage instanceof Error) return usage
  const usageEvents: AuditEntry[] = usage.map((u) => ({
    id: `usage:${u.tokenId}:${u.hour.toISOString()}`,
    type: "USAGE_HOUR",
    accountId: u.accountId,
    tokenId: u.tokenId,
    actor: "apiToken",
    reason: undefined,
    ip: u.lastIp,
    at: u.hour,
    details: undefined,
    usage: { requests: u.requests, sent: u.sent, lastIp: u.lastIp },
  }))
  return [...events, ...usageEvents].sort((a, b) => b.at.getTime() - a.at.getTime()).slice(0, limit)
}

export const listApiTokenAuditEvents = async (
  caller: ManagementCaller,
  opts: { tokenId?: string | null; first?: number | null },
): Promise<AuditEntry[] | Error> => {
  const account = requireUserSession(caller)
  if (account instanceof Error) return account
  return listAuditEventsOfAccount(account.id, { tokenId: opts.tokenId ?? undefined, first: opts.first ?? undefined })
}
