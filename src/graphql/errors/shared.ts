// Client codes of the errors every area shares (src/domain/shared/errors.ts) and of
// the account and wallet ids (src/domain/accounts).
import { InvalidAccountIdError, InvalidPhoneNumberError, InvalidUsernameError, InvalidWalletIdError } from "@/domain/accounts"
import { CouldNotFindError, RepositoryError, UnknownRepositoryError, ValidationError } from "@/domain/shared/errors"
import type { ErrorTable } from "./mapping"

export const sharedErrorTable = {
  [ValidationError.code]: { code: "INVALID_INPUT", message: (e) => e.message },
  [RepositoryError.code]: { code: "STORE_UNAVAILABLE", message: "Storage is unavailable, please try again" },
  [UnknownRepositoryError.code]: { code: "STORE_UNAVAILABLE", message: "Storage is unavailable, please try again" },
  [CouldNotFindError.code]: { code: "NOT_FOUND", message: "Not found" },
  [InvalidPhoneNumberError.code]: { code: "INVALID_PHONE", message: (e) => e.message },
  [InvalidWalletIdError.code]: { code: "INVALID_WALLET_ID", message: "Invalid wallet id" },
  [InvalidAccountIdError.code]: { code: "INVALID_ACCOUNT_ID", message: "Invalid account id" },
  [InvalidUsernameError.code]: { code: "INVALID_USERNAME", message: (e) => e.message },
} satisfies ErrorTable
