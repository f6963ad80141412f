// Placeholder until the lifecycle work lands: no API token is known yet.
import type { Account } from "@/domain/accounts"
import { ApiToken, ApiTokenClient, ApiTokenNotFoundError } from "@/domain/api-tokens"
import type { RepositoryError } from "@/domain/shared/errors"

export const resolveApiTokenByClientId = async (
  _clientId: string,
): Promise<{ token: ApiToken; client: ApiTokenClient; account: Account } | ApiTokenNotFoundError | RepositoryError> =>
  new ApiTokenNotFoundError()
