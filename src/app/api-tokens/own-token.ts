// What rotate and update both need before they change a token: the caller's
// own, finished, active token, and wallet ids that are the caller's own.
// Another account's token and a PENDING one are "not found" (never
// "forbidden", so ids cannot be probed).
import type { Account, WalletId } from "@/domain/accounts"
import {
  ApiToken,
  apiTokenStatus,
  ApiTokenNotActiveError,
  ApiTokenNotFoundError,
  ApiTokenWalletNotInAccountError,
  checkedToApiTokenId,
} from "@/domain/api-tokens"
import type { ApiTokensDeps, ManagementCaller } from "./deps"
import { refuseForeignToken } from "./refuse-foreign-token"

export const findOwnActiveToken = async (
  rawId: string,
  account: Account,
  operation: "rotate" | "update",
  caller: ManagementCaller,
  deps: ApiTokensDeps,
): Promise<ApiToken | Error> => {
  const id = checkedToApiTokenId(rawId)
  if (id instanceof Error) return new ApiTokenNotFoundError()
  const token = await deps.repo.findById(id)
  if (token instanceof Error) return token
  if (token.accountId !== account.id) return refuseForeignToken(token, account.id, operation, caller, deps)
  if (token.storedStatus === "PENDING") return new ApiTokenNotFoundError()
  if (apiTokenStatus(token) !== "ACTIVE") return new ApiTokenNotActiveError(`only an active token can be ${operation}d`)
  return token
}

/** Distinct wallet ids, each a wallet of the account; someone else's wallet and one that does not exist look the same. */
export const checkedToOwnWalletIds = async (
  walletIds: readonly string[],
  account: Account,
  deps: ApiTokensDeps,
): Promise<WalletId[] | Error> => {
  const wallets = await deps.accounts.listWallets(account.id)
  if (wallets instanceof Error) return wallets
  const own = new Set<string>(wallets.map((w) => w.id))
  if (walletIds.some((w) => !own.has(w))) return new ApiTokenWalletNotInAccountError("a wallet id is not a wallet of this account")
  return [...new Set(walletIds)] as WalletId[]
}
