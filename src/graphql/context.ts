// What every resolver receives. The auth middleware fills `principal`; shield
// rules and resolvers read it (never the raw token). The process's services
// the resolvers call come from the composition root (src/servers/composition.ts)
// through createApiServer, never from process-wide state.
import type { ApiTokensDeps } from "@/app/api-tokens/deps"
import type { WalletServices } from "@/app/wallet-services"
import type { Account } from "@/domain/accounts"
import type { Principal } from "@/domain/auth/principal"
import type { Logger } from "@/services/logger"

export type GraphQLContext = {
  logger: Logger
  ip: string | undefined
  principal: Principal
  /** Flash-style shortcuts, derived from `principal`. */
  domainAccount: Account | undefined
  isApiToken: boolean
  /** The API-token use cases' deps; absent in a process that does not serve them (the bench API, wallet-only tests). */
  apiTokens: ApiTokensDeps | undefined
  /** The wallet's services (node, event bus, ledger, payments); absent in a process that serves no wallet (API-token-only tests). */
  wallet: WalletServices | undefined
}

/** What the composition root hands every request. */
export type ContextServices = { apiTokens?: ApiTokensDeps; wallet?: WalletServices }

export const contextFor = (
  principal: Principal,
  ip: string | undefined,
  logger: Logger,
  services: ContextServices = {},
): GraphQLContext => ({
  logger,
  ip,
  principal,
  domainAccount: principal.kind === "anonymous" ? undefined : principal.domainAccount,
  isApiToken: principal.kind === "apiToken",
  apiTokens: services.apiTokens,
  wallet: services.wallet,
})

/** The API-token deps of this request; throws (an internal error) where the process has none. */
export const apiTokensOf = (ctx: GraphQLContext): ApiTokensDeps => {
  if (!ctx.apiTokens) throw new Error("API-token use cases are not configured in this process")
  return ctx.apiTokens
}

/** The wallet services of this request; throws (an internal error) where the process has none. */
export const walletOf = (ctx: GraphQLContext): WalletServices => {
  if (!ctx.wallet) throw new Error("wallet services are not configured in this process")
  return ctx.wallet
}
