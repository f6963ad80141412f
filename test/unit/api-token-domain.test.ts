import {
  buildApiTokenConnectionString,
  checkApiTokenClientSecretFormat,
  checkedToApiTokenName,
  checkedToApiTokenScope,
  checkedToApiTokenScopes,
  checkedToDailySendLimit,
  checkedToExpiresIn,
  checkedToGracePeriodSeconds,
  checkedToIpAllowlist,
  checkedToIpAllowlistEntry,
  checkedToRateLimitPerMinute,
  crc32,
  generateApiTokenClientId,
  generateApiTokenClientSecret,
  parseApiTokenConnectionString,
  API_TOKEN_CLIENT_ID_PATTERN,
  API_TOKEN_CLIENT_SECRET_PATTERN,
} from "@/domain/api-tokens"
import { scopeMap } from "@/graphql/shield/scope-map"

const errName = (v: unknown) => (v instanceof Error ? v.name : "ok")

describe("API token credentials", () => {
  it("generates recognizable client ids and flash_sk_ secrets with a valid checksum", () => {
    const ids = new Set(Array.from({ length: 50 }, generateApiTokenClientId))
    expect(ids.size).toBe(50)
    for (const id of ids) expect(id).toMatch(API_TOKEN_CLIENT_ID_PATTERN)
    for (let i = 0; i < 50; i++) {
      const s = generateApiTokenClientSecret()
      expect(s).toMatch(API_TOKEN_CLIENT_SECRET_PATTERN)
      expect(checkApiTokenClientSecretFormat(s)).toBe(true)
    }
  })

  it("catches a one-character typo or a truncation before any network call", () => {
    const s = generateApiTokenClientSecret()
    const i = 20
    const typo = s.slice(0, i) + (s[i] === "a" ? "b" : "a") + s.slice(i + 1)
    expect(errName(checkApiTokenClientSecretFormat(typo))).toBe("InvalidApiTokenClientSecretError")
    expect(errName(checkApiTokenClientSecretFormat(s.slice(0, -1)))).toBe("InvalidApiTokenClientSecretError")
    expect(errName(checkApiTokenClientSecretFormat("ghp_" + s.slice(9)))).toBe("InvalidApiTokenClientSecretError")
  })

  it("uses the standard CRC-32 (same as zlib)", () => {
    expect(crc32("123456789")).toBe(0xcbf43926)
  })
})

describe("API token input validation", () => {
  it("names: trimmed, 1 to 50 characters", () => {
    expect(checkedToApiTokenName("  shop ")).toBe("shop")
    expect(errName(checkedToApiTokenName("  "))).toBe("ApiTokenNameEmptyError")
    expect(errName(checkedToApiTokenName("x".repeat(51)))).toBe("ApiTokenNameTooLongError")
    expect(checkedToApiTokenName("é".repeat(50))).toBe("é".repeat(50))
  })

  it("scopes: non-empty, known, deduplicated in canonical order", () => {
    expect(checkedToApiTokenScopes(["write", "read", "read"])).toEqual(["read", "write"])
    expect(errName(checkedToApiTokenScopes([]))).toBe("ApiTokenScopesEmptyError")
    expect(errName(checkedToApiTokenScopes(["read", "admin"]))).toBe("UnknownApiTokenScopeError")
  })

  it("an unknown scope's message names every scope (built from API_TOKEN_SCOPES)", () => {
    const e = checkedToApiTokenScope("admin")
    expect(e instanceof Error && e.message).toBe('unknown scope "admin"; use "read", "receive" or "write"')
  })

  it("expiresIn: from one hour to the policy maximum", () => {
    expect(checkedToExpiresIn(3600, 7200)).toBe(3600)
    expect(errName(checkedToExpiresIn(-1, 7200))).toBe("ApiTokenExpiresInTooShortError")
    expect(errName(checkedToExpiresIn(3599, 7200))).toBe("ApiTokenExpiresInTooShortError")
    expect(errName(checkedToExpiresIn(7201, 7200))).toBe("ApiTokenExpiresInTooLongError")
  })

  it.each([
    ["10.1.2.3", "10.1.2.3/32"],
    ["10.0.0.0/8", "10.0.0.0/8"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["2001:db8::/32", "2001:db8::/32"],
    ["::1", "::1/128"],
    ["::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104"],
  ])("accepts the IP allowlist entry %s as %s", (raw, canonical) => {
    expect(checkedToIpAllowlistEntry(raw)).toBe(canonical)
  })

  it.each(["10.0.0.0/33", "10.0.0.1/8", "256.1.1.1", "example.com", "10.0.0.0/", "10.0.0.0/8/8", "2001:db8::/129", "", "1.2.3.4/-1"])(
    "refuses the IP allowlist entry %j",
    (raw) => {
      expect(errName(checkedToIpAllowlistEntry(raw))).toBe("InvalidIpAllowlistEntryError")
    },
  )

  it("caps the allowlist length", () => {
    expect(errName(checkedToIpAllowlist(Array.from({ length: 51 }, (_, i) => `10.0.0.${i}`)))).toBe("ApiTokenIpAllowlistTooLongError")
  })

  it("rate limit, daily send limit and grace period are bounded integers", () => {
    expect(checkedToRateLimitPerMinute(60)).toBe(60)
    expect(errName(checkedToRateLimitPerMinute(0))).toBe("InvalidRateLimitPerMinuteError")
    expect(errName(checkedToRateLimitPerMinute(1.5))).toBe("InvalidRateLimitPerMinuteError")
    expect(checkedToDailySendLimit(1000, ["write"])).toBe(1000)
    expect(errName(checkedToDailySendLimit(0, ["write"]))).toBe("InvalidDailySendLimitError")
    expect(errName(checkedToDailySendLimit(1000, ["read", "receive"]))).toBe("DailySendLimitRequiresWriteScopeError")
    expect(checkedToGracePeriodSeconds(0)).toBe(0)
    expect(errName(checkedToGracePeriodSeconds(-1))).toBe("InvalidGracePeriodError")
    expect(errName(checkedToGracePeriodSeconds(8 * 24 * 3600))).toBe("InvalidGracePeriodError")
  })
})

describe("BTCPay connection string", () => {
  it("keeps the plugin's grammar (type=flash;server=...) and parses back with the plugin's rules", () => {
    const s = buildApiTokenConnectionString({
      server: "https://api.flashapp.me/graphql?x=1",
      tokenUrl: "https://auth.flashapp.me/oauth2/token",
      clientId: "flash_ci_abc",
      clientSecret: "flash_sk_def",
    })
    expect(s).toBe(
      "type=flash;server=https://api.flashapp.me/graphql?x=1;token-url=https://auth.flashapp.me/oauth2/token;client-id=flash_ci_abc;client-secret=flash_sk_def",
    )
    expect(parseApiTokenConnectionString(s)).toEqual({
      type: "flash",
      server: "https://api.flashapp.me/graphql?x=1",
      "token-url": "https://auth.flashapp.me/oauth2/token",
      "client-id": "flash_ci_abc",
      "client-secret": "flash_sk_def",
    })
  })
})

describe("scope map", () => {
  it("marks every token-management field session-only", () => {
    expect(scopeMap.Query.apiTokens).toBe("session-only")
    expect(scopeMap.Mutation).toMatchObject({
      apiTokenCreate: "session-only",
      apiTokenRevoke: "session-only",
      apiTokenRotate: "session-only",
      apiTokenUpdate: "session-only",
    })
  })
})
