// The audit trail of API tokens: what happened to a token and who tried what.
// Pure types; no I/O. An event never carries a secret, a JWT or a connection
// string — only ids, names, scopes, reason codes and the caller's IP.

export const AUDIT_EVENT_TYPES = [
  "API_TOKEN_CREATED",
  "API_TOKEN_ROTATED",
  /** apiTokenUpdate changed scopes, wallets, IP allowlist or limits. */
  "API_TOKEN_UPDATED",
  "API_TOKEN_REVOKED",
  "API_TOKEN_EXPIRED",
  /**
   * The token's secret reached the rotation age (API_TOKEN_ROTATION_DUE_DAYS).
   * Once per secret: its id is `rotationDueEventId` (token id + secret's issue time).
   */
  "API_TOKEN_ROTATION_DUE",
  /** An API token called a session-only field, or a session named a token of another account. */
  "MANAGEMENT_REFUSED",
  /** The token hook told Hydra not to issue an access token. */
  "TOKEN_ISSUANCE_REFUSED",
  /** One hour of use of a token (aggregated, see ApiTokenUsageHour). */
  "USAGE_HOUR",
  /** An operator locked or unlocked an account (admin CLI). */
  "ACCOUNT_LOCKED",
  "ACCOUNT_UNLOCKED",
] as const
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number]

/** Who caused the event: the owner's session, an API token, an operator (admin CLI), a job, or Hydra's token hook. */
export type AuditActor = "user" | "apiToken" | "operator" | "system" | "tokenHook"

/** Non-secret details only (names, scopes, client ids, field names). */
export type AuditDetails = Record<string, string | number | boolean | string[] | undefined>

export type AuditEvent = {
  id: string
  type: AuditEventType
  /** Absent only when nothing ties the event to an account (e.g. the hook saw an unknown client). */
  accountId: string | undefined
  tokenId: string | undefined
  actor: AuditActor
  reason: string | undefined
  ip: string | undefined
  at: Date
  details: AuditDetails | undefined
}

export type NewAuditEvent = Omit<AuditEvent, "id" | "at" | "reason" | "ip" | "details" | "tokenId"> &
  Partial<Pick<AuditEvent, "reason" | "ip" | "details" | "tokenId" | "at">>

export type SentAmount = { currency: "BTC" | "USD"; amount: number }

/** Requests and amounts sent with one token during one hour (UTC), and the last caller IP seen. */
export type ApiTokenUsageHour = {
  tokenId: string
  accountId: string
  hour: Date
  requests: number
  sent: SentAmount[]
  lastIp: string | undefined
  lastAt: Date
}

export const hourOf = (d: Date) => new Date(Math.floor(d.getTime() / 3_600_000) * 3_600_000)

/**
 * Adds `b` into `a` in place (same token and hour): counts add, the later use
 * gives lastIp. `a` must be a row of the caller's own (its `sent` entries too).
 */
export const addUsageInto = (a: ApiTokenUsageHour, b: Omit<ApiTokenUsageHour, "tokenId" | "accountId" | "hour">): ApiTokenUsageHour => {
  for (const s of b.sent) {
    const same = a.sent.find((x) => x.currency === s.currency)
    if (same) same.amount += s.amount
    else a.sent.push({ ...s })
  }
  const later = b.lastAt.getTime() >= a.lastAt.getTime()
  a.requests += b.requests
  a.lastIp = later ? (b.lastIp ?? a.lastIp) : (a.lastIp ?? b.lastIp)
  if (later) a.lastAt = b.lastAt
  return a
}

/** `a` and `b` added into a new row (same token and hour). */
export const mergeUsage = (a: ApiTokenUsageHour, b: Omit<ApiTokenUsageHour, "tokenId" | "accountId" | "hour">): ApiTokenUsageHour =>
  addUsageInto({ ...a, sent: a.sent.map((s) => ({ ...s })) }, b)
