// The rotation-age rule: a secret is "rotation due" from the instant it is
// API_TOKEN_ROTATION_DUE_DAYS old, for a usable token only; its reminder's
// audit id is one per secret.
import { apiTokenRotation } from "@/app/api-tokens/rotation-reminders"
import {
  DEFAULT_ROTATION_DUE_DAYS,
  isRotationDue,
  rotationDueAt,
  rotationDueEventId,
  rotationDueIssuedBefore,
  secretCreatedAtOf,
} from "@/domain/api-tokens"
import { anApiToken } from "../support/domain-fixtures"

const DAY = 24 * 3600 * 1000
const issued = new Date("2026-01-01T12:00:00.000Z")
const at = (ms: number) => new Date(issued.getTime() + ms)

describe("rotation due", () => {
  const token = anApiToken({ createdAt: new Date("2025-06-01T00:00:00.000Z"), secretCreatedAt: issued })

  it("is due from the secret's issue time plus the age, counted in whole days", () => {
    expect(rotationDueAt(token, 90)).toEqual(at(90 * DAY))
    expect(rotationDueAt(token, 1)).toEqual(at(DAY))
  })

  it("is not due one millisecond before the age, is due exactly at it and after it", () => {
    expect(isRotationDue(token, at(90 * DAY - 1), 90)).toBe(false)
    expect(isRotationDue(token, at(90 * DAY), 90)).toBe(true)
    expect(isRotationDue(token, at(90 * DAY + 1), 90)).toBe(true)
    expect(isRotationDue(token, at(400 * DAY), 90)).toBe(true)
  })

  it("counts from the token's creation on records written before secretCreatedAt existed", () => {
    const old = anApiToken({ createdAt: issued, secretCreatedAt: undefined })
    expect(secretCreatedAtOf(old)).toEqual(issued)
    expect(isRotationDue(old, at(30 * DAY - 1), 30)).toBe(false)
    expect(isRotationDue(old, at(30 * DAY), 30)).toBe(true)
  })

  it("restarts with a rotation: the new secret's age counts, not the token's", () => {
    const rotated = anApiToken({ createdAt: issued, secretCreatedAt: at(100 * DAY) })
    expect(isRotationDue(rotated, at(101 * DAY), 90)).toBe(false)
    expect(rotationDueAt(rotated, 90)).toEqual(at(190 * DAY))
  })

  it("is never due for a revoked, expired or pending token, however old its secret", () => {
    const now = at(365 * DAY)
    expect(isRotationDue(anApiToken({ ...token, storedStatus: "REVOKED", revokedAt: at(DAY) }), now, 90)).toBe(false)
    expect(isRotationDue({ ...token, storedStatus: "PENDING" }, now, 90)).toBe(false)
    expect(isRotationDue({ ...token, expiresAt: at(200 * DAY) }, now, 90)).toBe(false)
    // expired exactly now counts as expired, as apiTokenStatus says
    expect(isRotationDue({ ...token, expiresAt: now }, now, 90)).toBe(false)
    expect(isRotationDue({ ...token, expiresAt: at(365 * DAY + 1) }, now, 90)).toBe(true)
  })

  it("agrees with the store query's cutoff at the boundary", () => {
    const now = at(90 * DAY)
    expect(rotationDueIssuedBefore(now, 90)).toEqual(issued)
    expect(rotationDueIssuedBefore(new Date(now.getTime() - 1), 90).getTime()).toBeLessThan(issued.getTime())
  })

  it("gives one reminder id per secret: the same for the same secret, a new one after a rotation", () => {
    expect(rotationDueEventId(token)).toBe(rotationDueEventId(anApiToken({ ...token, name: "renamed", lastUsedAt: at(DAY) })))
    expect(rotationDueEventId(token)).not.toBe(rotationDueEventId({ ...token, secretCreatedAt: at(91 * DAY) }))
    expect(rotationDueEventId(token)).not.toBe(rotationDueEventId({ ...token, id: "tok-2" as never }))
  })

  it("uses the policy's age, and 90 days when the policy names none", () => {
    expect(DEFAULT_ROTATION_DUE_DAYS).toBe(90)
    const now = at(45 * DAY)
    expect(apiTokenRotation(token, { policy: { rotationDueDays: 30 } as never }, now)).toEqual({
      secretCreatedAt: issued,
      dueAt: at(30 * DAY),
      due: true,
    })
    expect(apiTokenRotation(token, { policy: {} as never }, now)).toEqual({ secretCreatedAt: issued, dueAt: at(90 * DAY), due: false })
  })
})
