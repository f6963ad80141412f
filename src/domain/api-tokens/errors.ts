// Every way an API-token operation can fail, one class each: its `code` (see
// src/domain/shared/errors.ts) is what the GraphQL error map
// (src/graphql/errors/api-tokens.ts) turns into a client-facing code. Messages
// never carry secret material.
import { ApiTokenError, ApiTokenNotFoundError, ApiTokenValidationError } from "./base"

export { ApiTokenError, ApiTokenNotFoundError, ApiTokenValidationError }

export class ApiTokenNameEmptyError extends ApiTokenValidationError {
  static override readonly code: string = "ApiTokenNameEmptyError"
  override readonly code: string = "ApiTokenNameEmptyError"
}
export class ApiTokenNameTooLongError extends ApiTokenValidationError {
  static override readonly code: string = "ApiTokenNameTooLongError"
  override readonly code: string = "ApiTokenNameTooLongError"
}
export class ApiTokenNameTakenError extends ApiTokenValidationError {
  static override readonly code: string = "ApiTokenNameTakenError"
  override readonly code: string = "ApiTokenNameTakenError"
}
export class ApiTokenScopesEmptyError extends ApiTokenValidationError {
  static override readonly code: string = "ApiTokenScopesEmptyError"
  override readonly code: string = "ApiTokenScopesEmptyError"
}
export class UnknownApiTokenScopeError extends ApiTokenValidationError {
  static override readonly code: string = "UnknownApiTokenScopeError"
  override readonly code: string = "UnknownApiTokenScopeError"
}
export class ApiTokenExpiresInTooShortError extends ApiTokenValidationError {
  static override readonly code: string = "ApiTokenExpiresInTooShortError"
  override readonly code: string = "ApiTokenExpiresInTooShortError"
}
export class ApiTokenExpiresInTooLongError extends ApiTokenValidationError {
  static override readonly code: string = "ApiTokenExpiresInTooLongError"
  override readonly code: string = "ApiTokenExpiresInTooLongError"
}
export class ApiTokenWalletNotInAccountError extends ApiTokenValidationError {
  static override readonly code: string = "ApiTokenWalletNotInAccountError"
  override readonly code: string = "ApiTokenWalletNotInAccountError"
}
export class InvalidIpAllowlistEntryError extends ApiTokenValidationError {
  static override readonly code: string = "InvalidIpAllowlistEntryError"
  override readonly code: string = "InvalidIpAllowlistEntryError"
}
export class ApiTokenIpAllowlistTooLongError extends ApiTokenValidationError {
  static override readonly code: string = "ApiTokenIpAllowlistTooLongError"
  override readonly code: string = "ApiTokenIpAllowlistTooLongError"
}
export class InvalidRateLimitPerMinuteError extends ApiTokenValidationError {
  static override readonly code: string = "InvalidRateLimitPerMinuteError"
  override readonly code: string = "InvalidRateLimitPerMinuteError"
}
export class InvalidDailySendLimitError extends ApiTokenValidationError {
  static override readonly code: string = "InvalidDailySendLimitError"
  override readonly code: string = "InvalidDailySendLimitError"
}
export class DailySendLimitRequiresWriteScopeError extends ApiTokenValidationError {
  static override readonly code: string = "DailySendLimitRequiresWriteScopeError"
  override readonly code: string = "DailySendLimitRequiresWriteScopeError"
}
export class InvalidApiTokenBudgetAmountError extends ApiTokenValidationError {
  static override readonly code: string = "InvalidApiTokenBudgetAmountError"
  override readonly code: string = "InvalidApiTokenBudgetAmountError"
}
export class UnknownApiTokenBudgetUnitError extends ApiTokenValidationError {
  static override readonly code: string = "UnknownApiTokenBudgetUnitError"
  override readonly code: string = "UnknownApiTokenBudgetUnitError"
}
export class UnknownApiTokenBudgetPeriodError extends ApiTokenValidationError {
  static override readonly code: string = "UnknownApiTokenBudgetPeriodError"
  override readonly code: string = "UnknownApiTokenBudgetPeriodError"
}
export class InvalidApiTokenBudgetMaxPerPaymentError extends ApiTokenValidationError {
  static override readonly code: string = "InvalidApiTokenBudgetMaxPerPaymentError"
  override readonly code: string = "InvalidApiTokenBudgetMaxPerPaymentError"
}
export class ApiTokenBudgetRequiresWriteScopeError extends ApiTokenValidationError {
  static override readonly code: string = "ApiTokenBudgetRequiresWriteScopeError"
  override readonly code: string = "ApiTokenBudgetRequiresWriteScopeError"
}
/** Both `budget` and its deprecated alias `dailySendLimit` were given. */
export class ApiTokenBudgetConflictError extends ApiTokenValidationError {
  static override readonly code: string = "ApiTokenBudgetConflictError"
  override readonly code: string = "ApiTokenBudgetConflictError"
}
export class InvalidGracePeriodError extends ApiTokenValidationError {
  static override readonly code: string = "InvalidGracePeriodError"
  override readonly code: string = "InvalidGracePeriodError"
}
export class InvalidApiTokenIdError extends ApiTokenValidationError {
  static override readonly code: string = "InvalidApiTokenIdError"
  override readonly code: string = "InvalidApiTokenIdError"
}
export class InvalidApiTokenClientSecretError extends ApiTokenValidationError {
  static override readonly code: string = "InvalidApiTokenClientSecretError"
  override readonly code: string = "InvalidApiTokenClientSecretError"
}

export class ApiTokenLimitReachedError extends ApiTokenError {
  static override readonly code: string = "ApiTokenLimitReachedError"
  override readonly code: string = "ApiTokenLimitReachedError"
}
export class ApiTokenNotActiveError extends ApiTokenError {
  static override readonly code: string = "ApiTokenNotActiveError"
  override readonly code: string = "ApiTokenNotActiveError"
}
/** A management operation called by anything but a user session (e.g. an API token). */
export class ApiTokenManagementRequiresUserSessionError extends ApiTokenError {
  static override readonly code: string = "ApiTokenManagementRequiresUserSessionError"
  override readonly code: string = "ApiTokenManagementRequiresUserSessionError"
}

/** The OAuth2 server (Hydra) did not answer or answered with an error. */
export class OAuth2ServerUnavailableError extends ApiTokenError {
  static override readonly code: string = "OAuth2ServerUnavailableError"
  override readonly code: string = "OAuth2ServerUnavailableError"
}
export class OAuth2ServerError extends ApiTokenError {
  static override readonly code: string = "OAuth2ServerError"
  override readonly code: string = "OAuth2ServerError"
}

/** A payment with this token would take what its budget period has used above the budget's amount. */
export class BudgetExceededError extends ApiTokenError {
  static override readonly code: string = "BudgetExceededError"
  override readonly code: string = "BudgetExceededError"
}
/** A payment with this token is worth more than its budget's maximum per payment. */
export class PaymentOverMaxError extends ApiTokenError {
  static override readonly code: string = "PaymentOverMaxError"
  override readonly code: string = "PaymentOverMaxError"
}
