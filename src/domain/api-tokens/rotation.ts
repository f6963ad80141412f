// Rotation reminders: a token's secret is "rotation due" once it is as old as
// the configured age (API_TOKEN_ROTATION_DUE_DAYS, default 90: the seed asks for
// rotation every 90 days). Pure rules; no I/O, no clock of their own.
import type { ApiToken } from "./api-token"

export const DEFAULT_ROTATION_DUE_DAYS = 90
export const MAX_ROTATION_DUE_DAYS = 3650
const DAY_MS = 24 * 3600 * 1000

type RotationFacts = Pick<ApiToken, "createdAt" | "secretCreatedAt">

/** When the current secret was issued. Records written before the field existed: the token's creation. */
export const secretCreatedAtOf = (t: RotationFacts): Date => t.secretCreatedAt ?? t.createdAt

/** The instant the current secret becomes due for rotation. */
export const rotationDueAt = (t: RotationFacts, maxAgeDays: number): Date =>
  new Date(secretCreatedAtOf(t).getTime() + maxAgeDays * DAY_MS)

/** Secrets issued at or before this instant have reached the age at `now` (for a store query). */
export const rotationDueIssuedBefore = (now: Date, maxAgeDays: number): Date => new Date(now.getTime() - maxAgeDays * DAY_MS)

/**
 * Due from `rotationDueAt` on (inclusive), for a usable token only: a revoked,
 * expired or still-pending token has nothing to rotate.
 */
export const isRotationDue = (
  t: RotationFacts & Pick<ApiToken, "storedStatus" | "expiresAt">,
  now: Date,
  maxAgeDays: number,
): boolean =>
  t.storedStatus === "ACTIVE" &&
  !(t.expiresAt && t.expiresAt.getTime() <= now.getTime()) &&
  now.getTime() >= rotationDueAt(t, maxAgeDays).getTime()

/**
 * The id of the one API_TOKEN_ROTATION_DUE audit event of a secret: the same on
 * every replica and every run, so the store's unique `_id` keeps it to one.
 */
export const rotationDueEventId = (t: RotationFacts & Pick<ApiToken, "id">): string =>
  `rotation-due:${t.id}:${secretCreatedAtOf(t).toISOString()}`
