// apiTokenCreate: validate → claim a slot → PENDING record → client document →
// Hydra client → ACTIVE. Any failure undoes what was done at once; what a crash
// leaves behind (a PENDING record) is repaired by reconcileApiTokens.
import { randomUUID } from "node:crypto"
import {
  ApiToken,
  ApiTokenAuthMethod,
  ApiTokenId,
  checkedToApiTokenName,
  checkedToApiTokenScopes,
  checkedToExpiresIn,
  describeBudget,
  checkedToIpAllowlist,
  checkedToRateLimitPerMinute,
} from "@/domain/api-tokens"
import { recordAuditEvent } from "../audit/record-audit-event"
import type { ApiTokensDeps, ManagementCaller } from "./deps"
import { ApiTokenCreated, issueCredentials, presentCreated } from "./issue-credentials"
import { BudgetInput, checkedToBudgetChange } from "./budget-input"
import { checkedToOwnWalletIds } from "./own-token"
import { requireUserSession } from "./require-user-session"

export type CreateApiTokenArgs = {
  caller: ManagementCaller
  name: string
  scopes: readonly unknown[]
  /** Seconds; omitted → the policy maximum (no token lives forever). */
  expiresIn?: number | null
  walletIds?: readonly string[] | null
  ipAllowlist?: readonly string[] | null
  rateLimitPerMinute?: number | null
  /** One spending budget for every wallet of the token (write scope only). */
  budget?: BudgetInput | null
  /** Deprecated alias: a DAILY budget of this many sats. */
  dailySendLimit?: number | null
  authMethod?: ApiTokenAuthMethod | null
  /** Static-key mode (default false): the secret is also accepted as the Bearer itself. */
  staticKey?: boolean | null
}

export const createApiToken = async (
  args: CreateApiTokenArgs,
  deps: ApiTokensDeps,
): Promise<ApiTokenCreated | Error> => {
  const account = requireUserSession(args.caller)
  if (account instanceof Error) return account

  const name = checkedToApiTokenName(args.name)
  if (name instanceof Error) return name
  const scopes = checkedToApiTokenScopes(args.scopes)
  if (scopes instanceof Error) return scopes
  const expiresIn = checkedToExpiresIn(args.expiresIn ?? deps.policy.maxExpiresInSeconds, deps.policy.maxExpiresInSeconds)
  if (expiresIn instanceof Error) return expiresIn
  const ipAllowlist = args.ipAllowlist ? checkedToIpAllowlist(args.ipAllowlist) : undefined
  if (ipAllowlist instanceof Error) return ipAllowlist
  const rateLimitPerMinute = args.rateLimitPerMinute != null ? checkedToRateLimitPerMinute(args.rateLimitPerMinute) : undefined
  if (rateLimitPerMinute instanceof Error) return rateLimitPerMinute
  const budget = checkedToBudgetChange(args, scopes)
  if (budget instanceof Error) return budget

  const walletIds = args.walletIds ? await checkedToOwnWalletIds(args.walletIds, account, deps) : undefined
  if (walletIds instanceof Error) return walletIds

  const now = new Date()
  const token: ApiToken = {
    id: randomUUID() as ApiTokenId,
    accountId: account.id,
    name,
    scopes,
    storedStatus: "PENDING",
    authMethod: args.authMethod ?? "client_secret_basic",
    createdAt: now,
    secretCreatedAt: now,
    expiresAt: new Date(now.getTime() + expiresIn * 1000),
    revokedAt: undefined,
    lastUsedAt: undefined,
    walletIds,
    ipAllowlist,
    rateLimitPerMinute,
    ...(budget ? { budget } : {}),
    staticKey: args.staticKey === true,
  }

  const slot = await deps.repo.claimSlot(account.id, token.id, deps.policy.maxActivePerAccount)
  if (slot instanceof Error) return slot
  const pending = await deps.repo.insertPending(token, slot)
  if (pending instanceof Error) {
    await deps.repo.releaseSlot(token.id)
    return pending
  }

  const creds = await issueCredentials(token, deps)
  if (creds instanceof Error) {
    await deps.repo.deletePending(token.id)
    return creds
  }

  await deps.afterHydraClientCreated?.(token)
  const active = await deps.repo.markActive(token.id)
  if (active instanceof Error) {
    // The Hydra client exists but the record cannot say so: remove the client.
    await deps.hydra.deleteClient(creds.clientId)
    await deps.repo.deletePending(token.id)
    return active
  }
  deps.onActiveCountChanged?.(+1)
  deps.logger?.info(
    { tokenId: token.id, accountId: account.id, clientId: creds.clientId, scopes, staticKey: token.staticKey },
    "api token created",
  )
  await recordAuditEvent(
    {
      type: "API_TOKEN_CREATED",
      accountId: account.id,
      tokenId: token.id,
      actor: "user",
      ip: args.caller.kind === "user" ? args.caller.ip : undefined,
      details: {
        name,
        scopes,
        clientId: creds.clientId,
        expiresAt: token.expiresAt?.toISOString(),
        walletIds,
        ipAllowlist,
        rateLimitPerMinute,
        budget: budget ? describeBudget(budget) : undefined,
        staticKey: token.staticKey,
      },
    },
    deps.logger,
  )
  return presentCreated({ ...token, storedStatus: "ACTIVE" }, creds, deps)
}
