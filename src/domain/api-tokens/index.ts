// API tokens: what a merchant creates so a machine can act for their account
// with limited scopes. Pure types and rules; no I/O.
export * from "./api-token"
export { ApiTokenError, ApiTokenNotFoundError, ApiTokenValidationError } from "./base"
export * from "./errors"
export * from "./validation"
export * from "./budget"
export * from "./credentials"
export * from "./connection-string"
export * from "./rotation"
export * from "./static-key"
export * from "./usability"
