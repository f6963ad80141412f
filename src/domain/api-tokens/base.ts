// The base error classes of API tokens (kept apart so errors.ts and index.ts can both build on them).
import { DomainError, ValidationError } from "../shared/errors"

export abstract class ApiTokenError extends DomainError {}
export class ApiTokenNotFoundError extends ApiTokenError {
  static override readonly code: string = "ApiTokenNotFoundError"
  override readonly code: string = "ApiTokenNotFoundError"
}
export abstract class ApiTokenValidationError extends ValidationError {}
