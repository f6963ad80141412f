// The composition root of the API process: builds, once, from the config, the
// services the process runs on, and returns them as one object that
// src/servers/main.ts passes down (nothing here reads process-wide state set
// elsewhere):
//   hydra          the Hydra admin client (the API-token use cases)
//   accounts, apiTokenStore   the Mongo repositories main.ts reads directly
//   invalidations  the invalidation bus (Redis when configured)
//   usageHours     the hourly usage aggregator of the audit trail
//   wallet         Lightning node, event bus, ledger (over the heads in Redis)
//                  and payment use cases (./wallet-services.ts): to the GraphQL
//                  context (via createApiServer), the dev routes, its repair job
//   activeTokens   the flashapi_api_tokens_active gauge
//   apiTokens      the API-token use cases' deps: to the GraphQL context (via
//                  createApiServer), the jobs (startApiTokens)
// The GraphQL schema is built from module constants and holds no services: its
// resolvers read them from the context (apiTokensOf(ctx), walletOf(ctx)).
import type { ApiTokensDeps } from "@/app/api-tokens"
import { createUsageAggregator, UsageAggregator } from "@/app/audit"
import type { Config } from "@/config"
import { HydraAdmin, HydraAdminPort } from "@/services/hydra"
import { createInvalidationBus, InvalidationBus } from "@/services/invalidation"
import type { Logger } from "@/services/logger"
import { AccountsRepository } from "@/services/mongoose/accounts"
import { ApiTokensRepository, ApiTokensRepositoryType } from "@/services/mongoose/api-tokens"
import { GaugeSnapshotsRepository } from "@/services/mongoose/gauge-snapshots"
import { JobLeasesRepository } from "@/services/mongoose/job-leases"
import { ActiveTokensGauge, createActiveTokensGauge } from "./active-tokens-gauge"
import { apiTokensDepsFor } from "./api-tokens"
import { startWalletServices, WalletComposition } from "./wallet-services"

export type ApiComposition = {
  hydra: HydraAdminPort
  accounts: ReturnType<typeof AccountsRepository>
  apiTokenStore: ApiTokensRepositoryType
  invalidations: InvalidationBus
  usageHours: UsageAggregator
  wallet: WalletComposition
  activeTokens: ActiveTokensGauge
  apiTokens: ApiTokensDeps
}

/** Call after Mongo is connected (and its format checked). Starts the wallet's repair job; stop it with `wallet.stop()`. */
export const composeApi = async (config: Config, logger: Logger): Promise<ApiComposition> => {
  // Hourly usage per token (requests, amounts, last IP) for the audit trail, batched like lastUsedAt;
  // made before the wallet so the payments are handed it.
  const usageHours = createUsageAggregator()
  const wallet = await startWalletServices(config, logger, { recordSent: (tokenId, accountId, sent) => usageHours.recordSent(tokenId, accountId, sent) })
  const invalidations = await createInvalidationBus(config.redis)
  const accounts = AccountsRepository()
  const apiTokenStore = ApiTokensRepository()
  const activeTokens = createActiveTokensGauge({
    store: apiTokenStore,
    snapshots: GaugeSnapshotsRepository(),
    leases: JobLeasesRepository(),
    logger,
    countIntervalSeconds: config.apiTokens.activeCountIntervalSeconds,
  })
  const hydra = HydraAdmin({ adminUrl: config.hydra.adminUrl, audience: config.jwt.audience })
  const apiTokens = apiTokensDepsFor(config, logger, { hydra, invalidations, onActiveCountChanged: activeTokens.changed })
  return { hydra, accounts, apiTokenStore, invalidations, usageHours, wallet, activeTokens, apiTokens }
}
