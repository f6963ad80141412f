// Cleanup job (server interval and `npm run admin -- cleanup`): deletes the Hydra
// clients of expired tokens (and frees their name and slot), and the old clients
// of rotations whose grace period ended. The token hook already refuses both;
// this keeps Hydra small and the credentials truly dead. It also records the
// rotation reminders of secrets that reached the rotation age (once per secret).
import { recordAuditEvent } from "../audit/record-audit-event"
import type { ApiTokensDeps } from "./deps"
import { remindDueRotations } from "./rotation-reminders"

export type CleanupReport = {
  expiredTokensCleaned: number
  rotatedClientsDeleted: number
  rotationRemindersRecorded: number
  failures: number
}

export const cleanupApiTokens = async (deps: ApiTokensDeps, now = new Date()): Promise<CleanupReport | Error> => {
  const report: CleanupReport = { expiredTokensCleaned: 0, rotatedClientsDeleted: 0, rotationRemindersRecorded: 0, failures: 0 }

  const expired = await deps.repo.listExpiredUncleaned(now)
  if (expired instanceof Error) return expired
  for (const t of expired) {
    const clients = await deps.repo.listClients(t.id)
    if (clients instanceof Error) return clients
    let ok = true
    for (const c of clients.filter((c) => !c.removedAt)) {
      const r = await deps.hydra.deleteClient(c.clientId)
      if (r instanceof Error) {
        ok = false
        continue
      }
      await deps.repo.markClientRemoved(c.clientId, new Date())
    }
    if (!ok) {
      report.failures++
      continue
    }
    const m = await deps.repo.markCleaned(t.id, new Date())
    if (m instanceof Error) return m
    report.expiredTokensCleaned++
    await recordAuditEvent(
      { type: "API_TOKEN_EXPIRED", accountId: t.accountId, tokenId: t.id, actor: "system", details: { expiresAt: t.expiresAt?.toISOString() } },
      deps.logger,
    )
  }

  const rotated = await deps.repo.listClientsPastNotAfter(now)
  if (rotated instanceof Error) return rotated
  for (const c of rotated) {
    const r = await deps.hydra.deleteClient(c.clientId)
    if (r instanceof Error) {
      report.failures++
      continue
    }
    await deps.repo.markClientRemoved(c.clientId, new Date())
    report.rotatedClientsDeleted++
  }

  const reminded = await remindDueRotations(deps, now)
  if (reminded instanceof Error) return reminded
  report.rotationRemindersRecorded = reminded
  if (report.expiredTokensCleaned + report.rotatedClientsDeleted + report.rotationRemindersRecorded + report.failures > 0)
    deps.logger?.info(report, "api token cleanup")
  return report
}
