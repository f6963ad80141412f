// Client id (the JWT's `client_id`/`sub`) → token record, client and account.
// Returns the record even when revoked, expired or locked: the caller decides
// (see decideTokenIssuance for the token hook's rules).
import type { Account } from "@/domain/accounts"
import { ApiToken, ApiTokenClient, ApiTokenNotFoundError } from "@/domain/api-tokens"
import { CouldNotFindError, RepositoryError } from "@/domain/shared/errors"
import { AccountsRepository } from "@/services/mongoose/accounts"
import { ApiTokensRepository } from "@/services/mongoose/api-tokens"

export const resolveApiTokenByClientId = async (
  clientId: string,
): Promise<{ token: ApiToken; client: ApiTokenClient; account: Account } | ApiTokenNotFoundError | RepositoryError> => {
  const repo = ApiTokensRepository()
  const client = await repo.findClient(clientId)
  if (client instanceof Error) return client
  const token = await repo.findById(client.tokenId)
  if (token instanceof Error) return token
  if (token.storedStatus === "PENDING") return new ApiTokenNotFoundError()
  const account = await AccountsRepository().findAccountById(token.accountId)
  if (account instanceof CouldNotFindError) return new ApiTokenNotFoundError()
  if (account instanceof Error) return account
  const { removedAt: _removedAt, ...plain } = client
  return { token, client: plain, account }
}
