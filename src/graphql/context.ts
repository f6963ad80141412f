// What every resolver receives. The auth middleware fills `principal`; shield
// rules and resolvers read it (never the raw token).
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
}

export const contextFor = (principal: Principal, ip: string | undefined, logger: Logger): GraphQLContext => ({
  logger,
  ip,
  principal,
  domainAccount: principal.kind === "anonymous" ? undefined : principal.domainAccount,
  isApiToken: principal.kind === "apiToken",
})
