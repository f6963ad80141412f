// apiTokenRotate: new credentials for the same token record. Hydra v2.3.0 has one
// secret per client and cannot expire it, so the overlap is a second Hydra client
// bound to the same record: with a grace period the old clients get `notAfter`
// (the token hook refuses them from then on; cleanup deletes them); without one
// they are deleted at once. The token itself stays ACTIVE (never revoked here).
// Either way the change is stamped on the token record and published on the
// invalidation bus: every replica drops its cached client records, so the
// request path refuses the old client at once (grace 0) or from `notAfter` on,
// and its sockets are closed then (4441).
import { checkedToGracePeriodSeconds } from "@/domain/api-tokens"
import { recordAuditEvent } from "../audit/record-audit-event"
import type { ApiTokensDeps, ManagementCaller } from "./deps"
import { ApiTokenCreated, issueCredentials, presentCreated } from "./issue-credentials"
import { findOwnActiveToken } from "./own-token"
import { requireUserSession } from "./require-user-session"

export const rotateApiToken = async (
  args: { caller: ManagementCaller; id: string; gracePeriodSeconds?: number | null },
  deps: ApiTokensDeps,
): Promise<ApiTokenCreated | Error> => {
  const account = requireUserSession(args.caller)
  if (account instanceof Error) return account
  const grace = checkedToGracePeriodSeconds(args.gracePeriodSeconds ?? 0)
  if (grace instanceof Error) return grace
  const token = await findOwnActiveToken(args.id, account, "rotate", args.caller, deps)
  if (token instanceof Error) return token
  const id = token.id

  const before = await deps.repo.listClients(id)
  if (before instanceof Error) return before
  const creds = await issueCredentials(token, deps)
  if (creds instanceof Error) return creds

  const now = new Date()
  const toDelete: typeof before = []
  for (const c of before) {
    if (c.removedAt) continue
    if (grace > 0) {
      const notAfter = new Date(now.getTime() + grace * 1000)
      // A client already on a shorter grace keeps it.
      if (!c.notAfter || c.notAfter > notAfter) {
        const set = await deps.repo.setClientNotAfter(c.clientId, notAfter)
        if (set instanceof Error) return set
      }
      continue
    }
    const set = await deps.repo.setClientNotAfter(c.clientId, now)
    if (set instanceof Error) return set
    toDelete.push(c)
  }
  // Mongo holds the change (and the new secret's age: rotation due no more); now
  // every replica learns it (before Hydra is asked anything).
  const stamped = await deps.repo.markSecretRotated(id, now)
  if (stamped instanceof Error) return stamped
  await deps.invalidation.publish({ tokenId: id })
  for (const c of toDelete) {
    const r = await deps.hydra.deleteClient(c.clientId)
    if (r instanceof Error) {
      deps.logger?.warn({ tokenId: id, clientId: c.clientId, err: r.message }, "old client refused by the hook, deletion left to cleanup")
      continue
    }
    await deps.repo.markClientRemoved(c.clientId, new Date())
  }
  deps.logger?.info({ tokenId: id, clientId: creds.clientId, gracePeriodSeconds: grace }, "api token rotated")
  await recordAuditEvent(
    {
      type: "API_TOKEN_ROTATED",
      accountId: account.id,
      tokenId: id,
      actor: "user",
      ip: args.caller.kind === "user" ? args.caller.ip : undefined,
      details: { clientId: creds.clientId, gracePeriodSeconds: grace },
    },
    deps.logger,
  )
  return presentCreated(token, creds, deps)
}
