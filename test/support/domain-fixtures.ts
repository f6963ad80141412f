// In-memory domain records for unit tests of the auth path: one account and an
// ACTIVE API token of it with no limits, each overridable.
import type { Account, AccountId, UserId, WalletId } from "@/domain/accounts"
import type { ApiToken, ApiTokenId } from "@/domain/api-tokens"

export const anAccount = (over: Partial<Account> = {}): Account => ({
  id: "acc-1" as AccountId,
  userId: "user-1" as UserId,
  defaultWalletId: "w-1" as WalletId,
  status: "ACTIVE",
  createdAt: new Date(0),
  ...over,
})

export const anApiToken = (over: Partial<ApiToken> = {}): ApiToken => ({
  id: "tok-1" as ApiTokenId,
  accountId: "acc-1" as AccountId,
  name: "shop",
  scopes: ["read"],
  storedStatus: "ACTIVE",
  createdAt: new Date(0),
  expiresAt: undefined,
  revokedAt: undefined,
  lastUsedAt: undefined,
  walletIds: undefined,
  ipAllowlist: undefined,
  rateLimitPerMinute: undefined,
  ...over,
})
