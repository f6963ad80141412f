// Who is making a request: nobody, a signed-in user, or a machine holding an API
// token. The auth middleware resolves it; shield rules, rate limits and resolvers read it.
import type { Account, WalletId } from "../accounts"
import type { ApiTokenBudget, ApiTokenScope } from "../api-tokens"

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
