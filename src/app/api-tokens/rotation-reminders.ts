// Rotation reminders: which tokens' secrets reached the rotation age
// (API_TOKEN_ROTATION_DUE_DAYS), and the API_TOKEN_ROTATION_DUE audit event,
// recorded once per secret. The cleanup job records it for every due token;
// reading the token list records it for the account's due tokens (so the
// owner's audit view has it even where the job runs rarely). Every replica may
// do both at once: the event id is derived from the token and the secret's issue
// time, and the store's unique `_id` keeps one. `rotationRemindedFor` on the
// token only spares later runs the attempt.
import {
  ApiToken,
  DEFAULT_ROTATION_DUE_DAYS,
  isRotationDue,
  rotationDueAt,
  rotationDueEventId,
  rotationDueIssuedBefore,
  secretCreatedAtOf,
} from "@/domain/api-tokens"
import { recordAuditEventOnce } from "../audit/record-audit-event"
import type { ApiTokensDeps } from "./deps"

export type ApiTokenRotation = { secretCreatedAt: Date; dueAt: Date; due: boolean }

export const rotationDueDaysOf = (deps: Pick<ApiTokensDeps, "policy">) => deps.policy.rotationDueDays ?? DEFAULT_ROTATION_DUE_DAYS

/** What the token list shows: the secret's age and whether it is due for rotation now. */
export const apiTokenRotation = (
  t: Pick<ApiToken, "createdAt" | "secretCreatedAt" | "storedStatus" | "expiresAt">,
  deps: Pick<ApiTokensDeps, "policy">,
  now = new Date(),
): ApiTokenRotation => {
  const days = rotationDueDaysOf(deps)
  return { secretCreatedAt: secretCreatedAtOf(t), dueAt: rotationDueAt(t, days), due: isRotationDue(t, now, days) }
}

/** Records the reminder of each given token that is due and not yet reminded; answers how many this call wrote. */
export const recordRotationReminders = async (tokens: readonly ApiToken[], deps: ApiTokensDeps, now: Date): Promise<number> => {
  const days = rotationDueDaysOf(deps)
  let recorded = 0
  for (const t of tokens) {
    if (!isRotationDue(t, now, days)) continue
    const issuedAt = secretCreatedAtOf(t)
    if (t.rotationRemindedFor?.getTime() === issuedAt.getTime()) continue
    const outcome = await recordAuditEventOnce(
      rotationDueEventId(t),
      {
        type: "API_TOKEN_ROTATION_DUE",
        accountId: t.accountId,
        tokenId: t.id,
        actor: "system",
        at: now,
        details: { secretCreatedAt: issuedAt.toISOString(), rotationDueAt: rotationDueAt(t, days).toISOString(), rotationDueDays: days },
      },
      deps.logger,
    )
    if (outcome === "failed") continue // the next run tries again
    if (outcome === "recorded") recorded++
    // Written now or earlier (another replica, an earlier run): on record either way.
    const marked = await deps.repo.markRotationReminded(t.id, issuedAt)
    if (marked instanceof Error) deps.logger?.warn({ tokenId: t.id, err: marked.message }, "rotation reminder not marked on the token")
  }
  return recorded
}

/** The job's part: every ACTIVE token whose secret reached the age. */
export const remindDueRotations = async (deps: ApiTokensDeps, now = new Date()): Promise<number | Error> => {
  const candidates = await deps.repo.listSecretsIssuedBefore(rotationDueIssuedBefore(now, rotationDueDaysOf(deps)))
  if (candidates instanceof Error) return candidates
  return recordRotationReminders(candidates, deps, now)
}
