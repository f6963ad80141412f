// apiTokens: the caller's tokens, newest first, with no secret material.
// A token found due for rotation gets its reminder in the audit trail here
// already (once per secret), so the owner's audit view does not wait for the job.
import type { ApiToken } from "@/domain/api-tokens"
import type { ApiTokensDeps, ManagementCaller } from "./deps"
import { requireUserSession } from "./require-user-session"
import { recordRotationReminders } from "./rotation-reminders"

export const listApiTokens = async (
  caller: ManagementCaller,
  deps: ApiTokensDeps,
  now = new Date(),
): Promise<Array<ApiToken & { clientId: string }> | Error> => {
  const account = requireUserSession(caller)
  if (account instanceof Error) return account
  const tokens = await listApiTokensOfAccount(account.id, deps)
  if (tokens instanceof Error) return tokens
  await recordRotationReminders(tokens, deps, now)
  return tokens
}

/** Also used by the admin CLI. `clientId` is the newest client (the current credentials). */
export const listApiTokensOfAccount = async (
  accountId: ApiToken["accountId"],
  deps: ApiTokensDeps,
): Promise<Array<ApiToken & { clientId: string }> | Error> => {
  const tokens = await deps.repo.listByAccount(accountId)
  if (tokens instanceof Error) return tokens
  const out: Array<ApiToken & { clientId: string }> = []
  for (const t of tokens) {
    const clients = await deps.repo.listClients(t.id)
    if (clients instanceof Error) return clients
    out.push({ ...t, clientId: clients[clients.length - 1]?.clientId ?? "" })
  }
  return out
}
