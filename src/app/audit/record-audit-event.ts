// Appends one audit event. Auditing never fails the operation it describes: a
// storage error is logged (without the event's details) with the logger the
// caller passes (its use cases' deps, the request context, the CLI's), and the
// caller goes on.
import type { NewAuditEvent } from "@/domain/audit"
import type { Logger } from "@/services/logger"
import { AuditRepository } from "@/services/mongoose/audit-events"

export const recordAuditEvent = async (event: NewAuditEvent, logger: Logger | undefined): Promise<void> => {
  const r = await AuditRepository().append(event)
  if (r instanceof Error) logger?.warn({ auditType: event.type, tokenId: event.tokenId, err: r.message }, "audit event not written")
}

/**
 * Appends the event under `id` unless an event with that id is on record (see
 * AuditRepository.appendOnce): "recorded" when this call wrote it, "present"
 * when it was there, "failed" (logged) when the store refused — try again later.
 */
export const recordAuditEventOnce = async (
  id: string,
  event: NewAuditEvent,
  logger: Logger | undefined,
): Promise<"recorded" | "present" | "failed"> => {
  const r = await AuditRepository().appendOnce(id, event)
  if (r instanceof Error) {
    logger?.warn({ auditType: event.type, tokenId: event.tokenId, err: r.message }, "audit event not written")
    return "failed"
  }
  return r.recorded ? "recorded" : "present"
}
