// The base error classes of API tokens (kept apart so errors.ts and index.ts can both build on them).
import { DomainError, ValidationError } from "../shared/errors"

export class ApiTokenError extends DomainError {}
export class ApiTokenNotFoundError extends ApiTokenError {}
export class ApiTokenValidationError extends ValidationError {}
