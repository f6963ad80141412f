import type { ErrorMapping } from "./mapping"

type SharedErrorName =
  | "ValidationError"
  | "NotFoundError"
  | "RepositoryError"
  | "UnknownRepositoryError"
  | "CouldNotFindError"
  | "InvalidPhoneNumberError"
  | "InvalidWalletIdError"
  | "InvalidAccountIdError"
  | "InvalidUsernameError"

export const sharedErrorTable = {
  ValidationError: { code: "INVALID_INPUT", message: (e) => e.message },
  NotFoundError: { code: "NOT_FOUND", message: "Not found" },
  RepositoryError: { code: "STORE_UNAVAILABLE", message: "Storage is unavailable, please try again" },
  UnknownRepositoryError: { code: "STORE_UNAVAILABLE", message: "Storage is unavailable, please try again" },
  CouldNotFindError: { code: "NOT_FOUND", message: "Not found" },
  InvalidPhoneNumberError: { code: "INVALID_PHONE", message: (e) => e.message },
  InvalidWalletIdError: { code: "INVALID_WALLET_ID", message: "Invalid wallet id" },
  InvalidAccountIdError: { code: "INVALID_ACCOUNT_ID", message: "Invalid account id" },
  InvalidUsernameError: { code: "INVALID_USERNAME", message: (e) => e.message },
} satisfies Record<SharedErrorName, ErrorMapping>
