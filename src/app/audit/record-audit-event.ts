// Appends one audit event. Auditing never fails the operation it describes: a
// storage error is logged (without the event's details) and the caller goes on.
import type { NewAuditEvent } from "@/domain/audit"
import type { Logger } from "@/services/logger"
import { AuditRepository } from "@/services/mongoose/audit-events"

let defaultLogger: Logger | undefined

/** The process's logger for audit write failures (set once at start). */
export const setAuditLogger = (logger: Logger) => {
  defaultLogger = logger
}

export const recordAuditEvent = async (event: NewAuditEvent, logger: Logger | undefined = defaultLogger): Promise<void> => {
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
  logger: Logger | undefined = defaultLogger,
): Promise<"recorded" | "present" | "failed"> => {
  const r = await AuditRepository().appendOnce(id, event)
  if (r instanceof Error) {
    logger?.warn({ auditType: event.type, tokenId: event.tokenId, err: r.message }, "audit event not written")
    return "failed"
  }
  return r.recorded ? "recorded" : "present"
}
