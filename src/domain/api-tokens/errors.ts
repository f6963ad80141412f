// Every way an API-token operation can fail, one class each: the class name is
// the stable code the GraphQL error map (src/graphql/errors/api-tokens.ts) turns
// into a client-facing code. Messages never carry secret material.
import { ApiTokenError, ApiTokenNotFoundError, ApiTokenValidationError } from "./base"

export { ApiTokenError, ApiTokenNotFoundError, ApiTokenValidationError }

export class ApiTokenNameEmptyError extends ApiTokenValidationError {}
export class ApiTokenNameTooLongError extends ApiTokenValidationError {}
export class ApiTokenNameTakenError extends ApiTokenValidationError {}
export class ApiTokenScopesEmptyError extends ApiTokenValidationError {}
export class UnknownApiTokenScopeError extends ApiTokenValidationError {}
export class ApiTokenExpiresInTooShortError extends ApiTokenValidationError {}
export class ApiTokenExpiresInTooLongError extends ApiTokenValidationError {}
export class ApiTokenWalletNotInAccountError extends ApiTokenValidationError {}
export class InvalidIpAllowlistEntryError extends ApiTokenValidationError {}
export class ApiTokenIpAllowlistTooLongError extends ApiTokenValidationError {}
export class InvalidRateLimitPerMinuteError extends ApiTokenValidationError {}
export class InvalidDailySendLimitError extends ApiTokenValidationError {}
export class DailySendLimitRequiresWriteScopeError extends ApiTokenValidationError {}
export class InvalidApiTokenBudgetAmountError extends ApiTokenValidationError {}
export class UnknownApiTokenBudgetUnitError extends ApiTokenValidationError {}
export class UnknownApiTokenBudgetPeriodError extends ApiTokenValidationError {}
export class InvalidApiTokenBudgetMaxPerPaymentError extends ApiTokenValidationError {}
export class ApiTokenBudgetRequiresWriteScopeError extends ApiTokenValidationError {}
/** Both `budget` and its deprecated alias `dailySendLimit` were given. */
export class ApiTokenBudgetConflictError extends ApiTokenValidationError {}
export class InvalidGracePeriodError extends ApiTokenValidationError {}
export class InvalidApiTokenIdError extends ApiTokenValidationError {}
export class InvalidApiTokenClientSecretError extends ApiTokenValidationError {}

export class ApiTokenLimitReachedError extends ApiTokenError {}
export class ApiTokenNotActiveError extends ApiTokenError {}
/** A management operation called by anything but a user session (e.g. an API token). */
export class ApiTokenManagementRequiresUserSessionError extends ApiTokenError {}

/** The OAuth2 server (Hydra) did not answer or answered with an error. */
export class OAuth2ServerUnavailableError extends ApiTokenError {}
export class OAuth2ServerError extends ApiTokenError {}

/** A payment with this token would take what its budget period has used above the budget's amount. */
export class BudgetExceededError extends ApiTokenError {}
/** A payment with this token is worth more than its budget's maximum per payment. */
export class PaymentOverMaxError extends ApiTokenError {}
