// apiTokenUpdate: change what a token may do — scopes, wallets, IP allowlist,
// rate limit, budget — without new credentials. Validated with the
// same domain rules as apiTokenCreate. Mongo first (the source of truth, with a
// `changedAt` stamp), then the invalidation bus (every replica drops its cached
// record and re-checks the token's sockets: narrowed → closed 4442), then the
// Hydra clients' scopes (so new JWTs carry the new scopes). A JWT issued before
// keeps its `scp` claim, but the request path grants only the scopes the record
// still holds, so a narrowing is effective at once whatever Hydra does.
import {
  ApiToken,
  ApiTokenBudget,
  checkedToApiTokenScopes,
  describeBudget,
  checkedToIpAllowlist,
  checkedToRateLimitPerMinute,
} from "@/domain/api-tokens"
import { recordAuditEvent } from "../audit/record-audit-event"
import type { ApiTokensDeps, ManagementCaller } from "./deps"
import { BudgetInput, checkedToBudgetChange } from "./budget-input"
import { checkedToOwnWalletIds, findOwnActiveToken } from "./own-token"
import { requireUserSession } from "./require-user-session"

/** Absent (undefined): unchanged. `null`: the limit is removed (not allowed for scopes). */
export type UpdateApiTokenArgs = {
  caller: ManagementCaller
  id: string
  scopes?: readonly unknown[] | null
  walletIds?: readonly string[] | null
  ipAllowlist?: readonly string[] | null
  rateLimitPerMinute?: number | null
  /** Replaces the budget; with the same period, what the current period has used keeps counting (api-token-spends.ts). */
  budget?: BudgetInput | null
  /** Deprecated alias: a DAILY budget of this many sats; null removes the budget. */
  dailySendLimit?: number | null
}

export const updateApiToken = async (
  args: UpdateApiTokenArgs,
  deps: ApiTokensDeps,
): Promise<(ApiToken & { clientId: string }) | Error> => {
  const account = requireUserSession(args.caller)
  if (account instanceof Error) return account
  const token = await findOwnActiveToken(args.id, account, "update", args.caller, deps)
  if (token instanceof Error) return token
  const id = token.id

  const scopes = args.scopes != null ? checkedToApiTokenScopes(args.scopes) : undefined
  if (scopes instanceof Error) return scopes
  const finalScopes = scopes ?? token.scopes
  const ipAllowlist = args.ipAllowlist ? checkedToIpAllowlist(args.ipAllowlist) : args.ipAllowlist
  if (ipAllowlist instanceof Error) return ipAllowlist
  const rateLimitPerMinute = args.rateLimitPerMinute != null ? checkedToRateLimitPerMinute(args.rateLimitPerMinute) : args.rateLimitPerMinute
  if (rateLimitPerMinute instanceof Error) return rateLimitPerMinute
  const budget = checkedToBudgetChange(args, finalScopes)
  if (budget instanceof Error) return budget

  const walletIds = args.walletIds ? await checkedToOwnWalletIds(args.walletIds, account, deps) : args.walletIds
  if (walletIds instanceof Error) return walletIds

  const changes = { scopes, walletIds, ipAllowlist, rateLimitPerMinute, budget }
  const updated = await deps.repo.updateAccess(id, changes, new Date())
  if (updated instanceof Error) return updated
  await deps.invalidation.publish({ tokenId: id })

  const clients = await deps.repo.listClients(id)
  if (clients instanceof Error) return clients
  const live = clients.filter((c) => !c.removedAt)
  if (scopes && scopes.join(" ") !== token.scopes.join(" ")) {
    for (const c of live) {
      // A rotated-out client past its grace is refused anyway; cleanup deletes it.
      if (c.notAfter && c.notAfter.getTime() <= Date.now()) continue
      const r = await deps.hydra.setClientScopes(c.clientId, scopes)
      if (r instanceof Error) {
        // The record already narrows what old and new JWTs may do; a retry sets Hydra's scopes.
        deps.logger?.warn({ tokenId: id, clientId: c.clientId, err: r.message }, "api token updated, but the OAuth2 client's scopes are not yet")
        return r
      }
    }
  }

  const changed = Object.fromEntries(
    Object.entries(changes)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, v === null ? "removed" : k === "budget" ? describeBudget(v as ApiTokenBudget) : (v as string | number | string[])]),
  )
  deps.logger?.info({ tokenId: id, accountId: account.id, changed: Object.keys(changed) }, "api token updated")
  await recordAuditEvent(
    {
      type: "API_TOKEN_UPDATED",
      accountId: account.id,
      tokenId: id,
      actor: "user",
      ip: args.caller.kind === "user" ? args.caller.ip : undefined,
      details: changed,
    },
    deps.logger,
  )
  return { ...updated, clientId: live[live.length - 1]?.clientId ?? clients[clients.length - 1]?.clientId ?? "" }
}
