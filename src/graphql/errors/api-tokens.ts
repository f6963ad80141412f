// Client-facing codes of the API-token errors (src/domain/api-tokens/errors.ts).
import type { ErrorMapping } from "./mapping"

type ApiTokensErrorName =
  | "ApiTokenError"
  | "ApiTokenNotFoundError"
  | "ApiTokenValidationError"
  | "ApiTokenNameEmptyError"
  | "ApiTokenNameTooLongError"
  | "ApiTokenNameTakenError"
  | "ApiTokenScopesEmptyError"
  | "UnknownApiTokenScopeError"
  | "ApiTokenExpiresInTooShortError"
  | "ApiTokenExpiresInTooLongError"
  | "ApiTokenWalletNotInAccountError"
  | "InvalidIpAllowlistEntryError"
  | "ApiTokenIpAllowlistTooLongError"
  | "InvalidRateLimitPerMinuteError"
  | "InvalidDailySendLimitError"
  | "DailySendLimitRequiresWriteScopeError"
  | "InvalidApiTokenBudgetAmountError"
  | "UnknownApiTokenBudgetUnitError"
  | "UnknownApiTokenBudgetPeriodError"
  | "InvalidApiTokenBudgetMaxPerPaymentError"
  | "ApiTokenBudgetRequiresWriteScopeError"
  | "ApiTokenBudgetConflictError"
  | "InvalidGracePeriodError"
  | "InvalidApiTokenIdError"
  | "InvalidApiTokenClientSecretError"
  | "ApiTokenLimitReachedError"
  | "ApiTokenNotActiveError"
  | "ApiTokenManagementRequiresUserSessionError"
  | "OAuth2ServerUnavailableError"
  | "OAuth2ServerError"
  | "BudgetExceededError"
  | "PaymentOverMaxError"

const own = (e: Error) => e.message

export const apiTokensErrorTable = {
  ApiTokenError: { code: "API_TOKEN_ERROR", message: "The API token operation failed" },
  ApiTokenNotFoundError: { code: "API_TOKEN_NOT_FOUND", message: "API token not found" },
  ApiTokenValidationError: { code: "INVALID_INPUT", message: own },
  ApiTokenNameEmptyError: { code: "API_TOKEN_NAME_EMPTY", message: own },
  ApiTokenNameTooLongError: { code: "API_TOKEN_NAME_TOO_LONG", message: own },
  ApiTokenNameTakenError: { code: "API_TOKEN_NAME_TAKEN", message: own },
  ApiTokenScopesEmptyError: { code: "API_TOKEN_SCOPES_EMPTY", message: own },
  UnknownApiTokenScopeError: { code: "API_TOKEN_SCOPE_UNKNOWN", message: own },
  ApiTokenExpiresInTooShortError: { code: "API_TOKEN_EXPIRES_IN_TOO_SHORT", message: own },
  ApiTokenExpiresInTooLongError: { code: "API_TOKEN_EXPIRES_IN_TOO_LONG", message: own },
  ApiTokenWalletNotInAccountError: { code: "API_TOKEN_WALLET_NOT_IN_ACCOUNT", message: own },
  InvalidIpAllowlistEntryError: { code: "API_TOKEN_IP_ALLOWLIST_INVALID", message: own },
  ApiTokenIpAllowlistTooLongError: { code: "API_TOKEN_IP_ALLOWLIST_TOO_LONG", message: own },
  InvalidRateLimitPerMinuteError: { code: "API_TOKEN_RATE_LIMIT_INVALID", message: own },
  InvalidDailySendLimitError: { code: "API_TOKEN_DAILY_SEND_LIMIT_INVALID", message: own },
  DailySendLimitRequiresWriteScopeError: { code: "API_TOKEN_DAILY_SEND_LIMIT_REQUIRES_WRITE", message: own },
  InvalidApiTokenBudgetAmountError: { code: "API_TOKEN_BUDGET_AMOUNT_INVALID", message: own },
  UnknownApiTokenBudgetUnitError: { code: "API_TOKEN_BUDGET_UNIT_INVALID", message: own },
  UnknownApiTokenBudgetPeriodError: { code: "API_TOKEN_BUDGET_PERIOD_INVALID", message: own },
  InvalidApiTokenBudgetMaxPerPaymentError: { code: "API_TOKEN_BUDGET_MAX_PER_PAYMENT_INVALID", message: own },
  ApiTokenBudgetRequiresWriteScopeError: { code: "API_TOKEN_BUDGET_REQUIRES_WRITE", message: own },
  ApiTokenBudgetConflictError: { code: "API_TOKEN_BUDGET_CONFLICT", message: own },
  InvalidGracePeriodError: { code: "API_TOKEN_GRACE_PERIOD_INVALID", message: own },
  InvalidApiTokenIdError: { code: "API_TOKEN_NOT_FOUND", message: "API token not found" },
  InvalidApiTokenClientSecretError: { code: "API_TOKEN_SECRET_MALFORMED", message: own },
  ApiTokenLimitReachedError: { code: "API_TOKEN_LIMIT_REACHED", message: own },
  ApiTokenNotActiveError: { code: "API_TOKEN_NOT_ACTIVE", message: own },
  ApiTokenManagementRequiresUserSessionError: { code: "API_TOKEN_MANAGEMENT_REQUIRES_USER_SESSION", message: own },
  OAuth2ServerUnavailableError: {
    code: "OAUTH2_SERVER_UNAVAILABLE",
    message: "The OAuth2 server is unavailable; nothing was created, please try again",
  },
  OAuth2ServerError: { code: "OAUTH2_SERVER_ERROR", message: "The OAuth2 server refused the operation; nothing was created" },
  BudgetExceededError: { code: "BUDGET_EXCEEDED", message: own },
  PaymentOverMaxError: { code: "PAYMENT_OVER_MAX", message: own },
} satisfies Record<ApiTokensErrorName, ErrorMapping>
