// The base error classes of API tokens (kept apart so errors.ts and index.ts can both build on them).
import { DomainError, ValidationError } from "../shared/errors"

export class ApiTokenError extends DomainError {
  static override readonly code: string = "ApiTokenError"
  override readonly code: string = "ApiTokenError"
}
export class ApiTokenNotFoundError extends ApiTokenError {
  static override readonly code: string = "ApiTokenNotFoundError"
  override readonly code: string = "ApiTokenNotFoundError"
}
export class ApiTokenValidationError extends ValidationError {
  static override readonly code: string = "ApiTokenValidationError"
  override readonly code: string = "ApiTokenValidationError"
}
