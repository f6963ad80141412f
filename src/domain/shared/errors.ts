// Errors are values (Flash's style): functions return `T | DomainError` and
// callers write `if (x instanceof Error) return x`.
//
// Each concrete class carries a stable code, written out as a string literal
// twice, as jose does: `static code` (for lookups by class, e.g. the error
// tables' keys) and `code` on every instance. The GraphQL error map turns a code
// into a client-facing code and message (src/graphql/errors/). A code is part of
// the contract: it never comes from `constructor.name` (which minification or a
// rename would change), and renaming a class keeps its code. `name` is the code
// too, so logs and stack traces read the same.
//
// A base class that is never thrown itself (NotFoundError here, ApiTokenError and
// ApiTokenValidationError in ../api-tokens/base.ts) is `abstract`, has no code
// and no row. test/unit/error-tables.test.ts checks that every other class has
// its own code and a row in its area's table.
export abstract class DomainError extends Error {
  declare static readonly code: string
  abstract readonly code: string
  constructor(message?: string) {
    super(message)
    this.name = (new.target as unknown as { code: string }).code
  }
}
export class ValidationError extends DomainError {
  static override readonly code: string = "ValidationError"
  override readonly code: string = "ValidationError"
}
export abstract class NotFoundError extends DomainError {}
export class RepositoryError extends DomainError {
  static override readonly code: string = "RepositoryError"
  override readonly code: string = "RepositoryError"
}
export class UnknownRepositoryError extends RepositoryError {
  static override readonly code: string = "UnknownRepositoryError"
  override readonly code: string = "UnknownRepositoryError"
}
export class CouldNotFindError extends RepositoryError {
  static override readonly code: string = "CouldNotFindError"
  override readonly code: string = "CouldNotFindError"
}
