// What the API-token use cases need from the outside world. Every process
// builds them once with `createApiTokensDeps` (the API: src/servers/composition.ts;
// the admin CLI: its own; the integration tests: test/integration/api-tokens/helpers.ts)
// and passes them as the last argument of each use case: no use case finds them
// anywhere else.
import type { Account } from "@/domain/accounts"
import type { HydraAdminPort } from "@/services/hydra"
import type { Logger } from "@/services/logger"
import { AccountsRepository } from "@/services/mongoose/accounts"
import { ApiTokensRepository, ApiTokensRepositoryType } from "@/services/mongoose/api-tokens"
import type { InvalidationBus } from "@/services/invalidation"

export type ApiTokensPolicy = {
  /** Hydra's public token endpoint, shown to the merchant. */
  tokenEndpoint: string
  /** The GraphQL URL machines call (the connection string's `server`). */
  graphqlUrl: string
  accessTokenLifespanSeconds: number
  maxActivePerAccount: number
  maxExpiresInSeconds: number
  /** A secret this many days old is "rotation due" (API_TOKEN_ROTATION_DUE_DAYS); absent: DEFAULT_ROTATION_DUE_DAYS. */
  rotationDueDays?: number
}

export type ApiTokensDeps = {
  repo: ApiTokensRepositoryType
  accounts: Pick<ReturnType<typeof AccountsRepository>, "findAccountById" | "listWallets">
  hydra: HydraAdminPort
  policy: ApiTokensPolicy
  /** Told after every change that narrows a token or an account (after the Mongo write). */
  invalidation: InvalidationBus
  logger?: Logger
  /**
   * Told (without waiting) after a token became ACTIVE (+1) or an ACTIVE one was
   * revoked (-1) here: the flashapi_api_tokens_active gauge adds it to the cluster's count.
   */
  onActiveCountChanged?: (delta: number) => void
  /** Chaos tests only (config refuses it outside NODE_ENV=test + dev mode): runs between the Hydra client and the ACTIVE mark. */
  afterHydraClientCreated?: (token: { id: string; name: string }) => Promise<void>
}

export type ApiTokensDepsInput = Omit<ApiTokensDeps, "repo" | "accounts"> & Partial<ApiTokensDeps>

/** The deps over the Mongo repositories (unless given) and the given bus, Hydra and policy. */
export const createApiTokensDeps = (d: ApiTokensDepsInput): ApiTokensDeps => ({
  repo: ApiTokensRepository(),
  accounts: AccountsRepository(),
  ...d,
})

/**
 * Who is calling a management operation. Only a user session may create, list,
 * revoke, rotate or update tokens; the GraphQL shield says the same (defence in depth).
 */
export type ManagementCaller =
  | { kind: "anonymous" }
  | { kind: "user"; domainAccount: Account; ip?: string }
  | { kind: "apiToken"; apiTokenId?: string; accountId?: string; ip?: string }
