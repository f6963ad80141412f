// apiTokens: the caller's tokens, newest first, with no secret material.
import type { ApiToken } from "@/domain/api-tokens"
import { apiTokensDeps, ApiTokensDeps, ManagementCaller } from "./deps"
import { requireUserSession } from "./require-user-session"

export const listApiTokens = async (
  caller: ManagementCaller,
  deps: ApiTokensDeps = apiTokensDeps(),
): Promise<Array<ApiToken & { clientId: string }> | Error> => {
  const account = requireUserSession(caller)
  if (account instanceof Error) return account
  return listApiTokensOfAccount(account.id, deps)
}

/** Also used by the admin CLI. `clientId` is the newest client (the current credentials). */
export const listApiTokensOfAccount = async (
  accountId: ApiToken["accountId"],
  deps: ApiTokensDeps = apiTokensDeps(),
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
