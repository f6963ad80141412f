// apiTokenRevoke: Mongo REVOKED first (the source of truth: the token hook and
// the auth middleware refuse from then on), publish on the invalidation bus (every
// replica refuses it and closes its sockets within a second), then delete the Hydra clients and their
// tokens. Idempotent. If Hydra is down the revocation still stands; the next
// reconciliation deletes the clients.
import type { AccountId } from "@/domain/accounts"
import { ApiToken, ApiTokenNotFoundError, checkedToApiTokenId } from "@/domain/api-tokens"
import { recordAuditEvent } from "../audit/record-audit-event"
import type { ApiTokensDeps, ManagementCaller } from "./deps"
import { refuseForeignToken } from "./refuse-foreign-token"
import { requireUserSession } from "./require-user-session"

export const revokeApiToken = async (
  args: { caller: ManagementCaller; id: string },
  deps: ApiTokensDeps,
): Promise<(ApiToken & { clientId: string }) | Error> => {
  const account = requireUserSession(args.caller)
  if (account instanceof Error) return account
  return revokeApiTokenById(args.id, deps, account.id, args.caller)
}

/** `ofAccount` omitted: an operator revoking from the admin CLI. */
export const revokeApiTokenById = async (
  rawId: string,
  deps: ApiTokensDeps,
  ofAccount?: AccountId,
  caller?: ManagementCaller,
): Promise<(ApiToken & { clientId: string }) | Error> => {
  const id = checkedToApiTokenId(rawId)
  if (id instanceof Error) return new ApiTokenNotFoundError()
  const existing = await deps.repo.findById(id)
  if (existing instanceof Error) return existing
  // Someone else's token is "not found", never "forbidden".
  if (ofAccount && existing.accountId !== ofAccount) return refuseForeignToken(existing, ofAccount, "revoke", caller, deps)
  if (existing.storedStatus === "PENDING") return new ApiTokenNotFoundError()

  const now = new Date()
  const revoked = await deps.repo.markRevoked(id, now)
  if (revoked instanceof Error) return revoked
  // The gauge counts ACTIVE unexpired tokens: only revoking one of those moves it.
  if (existing.storedStatus === "ACTIVE" && (!existing.expiresAt || existing.expiresAt > now)) deps.onActiveCountChanged?.(-1)
  await deps.invalidation.publish({ tokenId: id, revoked: true })

  const clients = await deps.repo.listClients(id)
  if (clients instanceof Error) return clients
  for (const c of clients) {
    if (c.removedAt) continue
    const r = await deps.hydra.deleteClient(c.clientId)
    if (r instanceof Error) {
      deps.logger?.warn({ tokenId: id, clientId: c.clientId, err: r.message }, "revoked, but the Hydra client is not deleted yet (reconcile will)")
      continue
    }
    await deps.repo.markClientRemoved(c.clientId, new Date())
  }
  deps.logger?.info({ tokenId: id, accountId: revoked.accountId }, "api token revoked")
  if (existing.storedStatus !== "REVOKED") {
    await recordAuditEvent(
      {
        type: "API_TOKEN_REVOKED",
        accountId: revoked.accountId,
        tokenId: id,
        actor: ofAccount ? "user" : "operator",
        ip: caller?.kind === "user" ? caller.ip : undefined,
      },
      deps.logger,
    )
  }
  return { ...revoked, clientId: clients[clients.length - 1]?.clientId ?? "" }
}
