// Errors are values (Flash's style): functions return `T | DomainError` and
// callers write `if (x instanceof Error) return x`. Each class name is a stable
// code that the GraphQL error map turns into a client-facing message.
export class DomainError extends Error {
  override name = this.constructor.name
  constructor(message?: string) {
    super(message)
  }
}
export class ValidationError extends DomainError {}
export class NotFoundError extends DomainError {}
export class RepositoryError extends DomainError {}
export class UnknownRepositoryError extends RepositoryError {}
export class CouldNotFindError extends RepositoryError {}
