// `checkedToX` validators for everything a merchant types when creating or
// rotating an API token. Pure; each failure is its own error class.
import { isIP } from "node:net"
import {
  ApiTokenExpiresInTooLongError,
  ApiTokenExpiresInTooShortError,
  ApiTokenIpAllowlistTooLongError,
  ApiTokenNameEmptyError,
  ApiTokenNameTooLongError,
  ApiTokenScopesEmptyError,
  DailySendLimitRequiresWriteScopeError,
  InvalidApiTokenIdError,
  InvalidDailySendLimitError,
  InvalidGracePeriodError,
  InvalidIpAllowlistEntryError,
  InvalidRateLimitPerMinuteError,
  UnknownApiTokenScopeError,
} from "./errors"
import { API_TOKEN_SCOPES, type ApiTokenId, type ApiTokenScope } from "./api-token"

const SCOPES: readonly string[] = API_TOKEN_SCOPES
const QUOTED_SCOPES = API_TOKEN_SCOPES.map((s) => JSON.stringify(s))
/** `"read", "receive" or "write"`: the scopes, for messages. */
const SCOPE_CHOICES = `${QUOTED_SCOPES.slice(0, -1).join(", ")} or ${QUOTED_SCOPES.at(-1)}`

export const API_TOKEN_NAME_MAX_LENGTH = 50
export const API_TOKEN_MIN_EXPIRES_IN_SECONDS = 3600
export const API_TOKEN_MAX_IP_ALLOWLIST_ENTRIES = 50
export const API_TOKEN_MAX_RATE_LIMIT_PER_MINUTE = 10_000
/** GraphQL `Int` is 32-bit signed; an amount in sats fits. */
export const API_TOKEN_MAX_DAILY_SEND_LIMIT = 2_147_483_647
export const API_TOKEN_MAX_GRACE_PERIOD_SECONDS = 7 * 24 * 3600

export const checkedToApiTokenName = (raw: string): string | ApiTokenNameEmptyError | ApiTokenNameTooLongError => {
  const name = raw.trim()
  if (name.length === 0) return new ApiTokenNameEmptyError("name must not be empty")
  if ([...name].length > API_TOKEN_NAME_MAX_LENGTH)
    return new ApiTokenNameTooLongError(`name must be at most ${API_TOKEN_NAME_MAX_LENGTH} characters`)
  return name
}

/** The key that makes a name unique per account among active tokens (case-insensitive). */
export const apiTokenNameKey = (accountId: string, name: string) => `${accountId}:${name.toLowerCase()}`

export const checkedToApiTokenScope = (raw: unknown): ApiTokenScope | UnknownApiTokenScopeError =>
  typeof raw === "string" && SCOPES.includes(raw)
    ? (raw as ApiTokenScope)
    : new UnknownApiTokenScopeError(`unknown scope ${JSON.stringify(raw)}; use ${SCOPE_CHOICES}`)

/** Non-empty, known, deduplicated, in canonical order. */
export const checkedToApiTokenScopes = (
  raw: readonly unknown[],
): ApiTokenScope[] | ApiTokenScopesEmptyError | UnknownApiTokenScopeError => {
  if (raw.length === 0) return new ApiTokenScopesEmptyError("at least one scope is required")
  const out = new Set<ApiTokenScope>()
  for (const r of raw) {
    const s = checkedToApiTokenScope(r)
    if (s instanceof Error) return s
    out.add(s)
  }
  return SCOPES.filter((s) => out.has(s as ApiTokenScope)) as ApiTokenScope[]
}

export const checkedToExpiresIn = (
  raw: number,
  maxSeconds: number,
): number | ApiTokenExpiresInTooShortError | ApiTokenExpiresInTooLongError => {
  if (!Number.isInteger(raw) || raw < API_TOKEN_MIN_EXPIRES_IN_SECONDS)
    return new ApiTokenExpiresInTooShortError(`expiresIn must be at least ${API_TOKEN_MIN_EXPIRES_IN_SECONDS} seconds`)
  if (raw > maxSeconds) return new ApiTokenExpiresInTooLongError(`expiresIn must be at most ${maxSeconds} seconds`)
  return raw
}

/**
 * One IP address or CIDR block, IPv4 or IPv6, returned in a canonical form
 * (`10.0.0.1` → `10.0.0.1/32`). The host bits of a block must be zero, so a
 * typo such as `10.0.0.1/8` is reported instead of silently widened.
 */
export const checkedToIpAllowlistEntry = (raw: string): string | InvalidIpAllowlistEntryError => {
  const bad = () => new InvalidIpAllowlistEntryError(`${JSON.stringify(raw.slice(0, 60))} is not an IP address or CIDR block`)
  const [addr, prefixRaw, extra] = raw.trim().split("/")
  if (extra !== undefined || !addr) return bad()
  const family = isIP(addr)
  if (family === 0) return bad()
  const bits = family === 4 ? 32 : 128
  let prefix = bits
  if (prefixRaw !== undefined) {
    if (!/^[0-9]{1,3}$/.test(prefixRaw)) return bad()
    prefix = Number(prefixRaw)
    if (prefix > bits) return bad()
  }
  const value = family === 4 ? ipv4ToBigInt(addr) : ipv6ToBigInt(addr)
  if (value === undefined) return bad()
  const hostMask = (1n << BigInt(bits - prefix)) - 1n
  if ((value & hostMask) !== 0n)
    return new InvalidIpAllowlistEntryError(`${raw} has host bits set; did you mean a different prefix?`)
  return `${addr.toLowerCase()}/${prefix}`
}

export const checkedToIpAllowlist = (
  raw: readonly string[],
): string[] | InvalidIpAllowlistEntryError | ApiTokenIpAllowlistTooLongError => {
  if (raw.length > API_TOKEN_MAX_IP_ALLOWLIST_ENTRIES)
    return new ApiTokenIpAllowlistTooLongError(`at most ${API_TOKEN_MAX_IP_ALLOWLIST_ENTRIES} entries`)
  const out: string[] = []
  for (const r of raw) {
    const e = checkedToIpAllowlistEntry(r)
    if (e instanceof Error) return e
    if (!out.includes(e)) out.push(e)
  }
  return out
}

const ipv4ToBigInt = (a: string): bigint | undefined => {
  const parts = a.split(".").map(Number)
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n)
}

const ipv6ToBigInt = (a: string): bigint | undefined => {
  let s = a.toLowerCase()
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s)
  if (v4) {
    const n = ipv4ToBigInt(v4[1]!)
    if (n === undefined) return undefined
    s = s.slice(0, -v4[1]!.length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`
  }
  const [head, tail] = s.includes("::") ? s.split("::") : [s, undefined]
  const h = head ? head.split(":") : []
  const t = tail ? tail.split(":") : []
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t]
  if (groups.length !== 8) return undefined
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || "0", 16)), 0n)
}

export const checkedToRateLimitPerMinute = (raw: number): number | InvalidRateLimitPerMinuteError =>
  Number.isInteger(raw) && raw >= 1 && raw <= API_TOKEN_MAX_RATE_LIMIT_PER_MINUTE
    ? raw
    : new InvalidRateLimitPerMinuteError(`rateLimitPerMinute must be between 1 and ${API_TOKEN_MAX_RATE_LIMIT_PER_MINUTE}`)

export const checkedToDailySendLimit = (
  raw: number,
  scopes: readonly ApiTokenScope[],
): number | InvalidDailySendLimitError | DailySendLimitRequiresWriteScopeError => {
  if (!Number.isInteger(raw) || raw < 1 || raw > API_TOKEN_MAX_DAILY_SEND_LIMIT)
    return new InvalidDailySendLimitError(`dailySendLimit (deprecated: use budget) must be a positive whole number of sats`)
  if (!scopes.includes("write"))
    return new DailySendLimitRequiresWriteScopeError("dailySendLimit only applies to tokens with the write scope")
  return raw
}

export const checkedToGracePeriodSeconds = (raw: number): number | InvalidGracePeriodError =>
  Number.isInteger(raw) && raw >= 0 && raw <= API_TOKEN_MAX_GRACE_PERIOD_SECONDS
    ? raw
    : new InvalidGracePeriodError(`gracePeriodSeconds must be between 0 and ${API_TOKEN_MAX_GRACE_PERIOD_SECONDS}`)

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
export const checkedToApiTokenId = (raw: unknown): ApiTokenId | InvalidApiTokenIdError =>
  typeof raw === "string" && UUID.test(raw) ? (raw as ApiTokenId) : new InvalidApiTokenIdError("invalid API token id")
