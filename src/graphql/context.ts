// What every resolver receives. The auth middleware fills `principal`; shield
// rules and resolvers read it (never the raw token).
import type { Account, WalletId } from "@/domain/accounts"
import type { ApiTokenBudget } from "@/domain/api-tokens"
import type { Logger } from "@/services/logger"

export type ApiTokenScope = "read" | "receive" | "write"

export type Principal =
  | { kind: "anonymous" }
  | { kind: "user"; userId: string; domainAccount: Account }
  | {
      kind: "apiToken"
      domainAccount: Account
      apiTokenId: string
      clientId: string
      apiTokenScopes: readonly ApiTokenScope[]
      apiTokenWalletIds: WalletId[] | undefined
      /** The token's own limit; undefined → the API-token default from config. */
      rateLimitPerMinute: number | undefined
      /** The token's one budget for every wallet; absent → unlimited. */
      budget?: ApiTokenBudget
      jwtId: string
      expiresAt: Date
    }

export type GraphQLContext = {
  logger: Logger
  ip: string | undefined
  principal: Principal
  /** Flash-style shortcuts, derived from `principal`. */
  domainAccount: Account | undefined
  isApiToken: boolean
}

export const contextFor = (principal: Principal, ip: string | undefined, logger: Logger): GraphQLContext => ({
  logger,
  ip,
  principal,
  domainAccount: principal.kind === "anonymous" ? undefined : principal.domainAccount,
  isApiToken: principal.kind === "apiToken",
})
