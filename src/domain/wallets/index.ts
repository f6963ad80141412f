// Amounts, memos and the wallet/payment errors. Amounts are integers in the
// wallet's minor unit: satoshis for BTC wallets, cents for USD wallets.
import type { WalletCurrency } from "../accounts"
import { Branded } from "../shared/brand"
import { DomainError, NotFoundError, ValidationError } from "../shared/errors"

export type Satoshis = Branded<number, "Satoshis">
export type UsdCents = Branded<number, "UsdCents">
/** An amount in the minor unit of a wallet's currency (sats for BTC, cents for USD). */
export type MinorAmount = Branded<number, "MinorAmount">
export type Memo = Branded<string, "Memo">

export const MAX_AMOUNT = 2_100_000_000_000_000 // 21M BTC in sats; also far above any cent amount
export const MAX_MEMO_LENGTH = 1024
export const minorUnitOf = (c: WalletCurrency) => (c === "BTC" ? "sats" : "cents")

// Validation errors: each one its own client code (src/graphql/errors/wallets.ts).
export class InvalidAmountError extends ValidationError {
  static override readonly code: string = "InvalidAmountError"
  override readonly code: string = "InvalidAmountError"
}
export class InvalidMemoError extends ValidationError {
  static override readonly code: string = "InvalidMemoError"
  override readonly code: string = "InvalidMemoError"
}
export class InvalidExpiryError extends ValidationError {
  static override readonly code: string = "InvalidExpiryError"
  override readonly code: string = "InvalidExpiryError"
}
export class InvalidPaymentRequestError extends ValidationError {
  static override readonly code: string = "InvalidPaymentRequestError"
  override readonly code: string = "InvalidPaymentRequestError"
}
export class InvalidIdempotencyKeyError extends ValidationError {
  static override readonly code: string = "InvalidIdempotencyKeyError"
  override readonly code: string = "InvalidIdempotencyKeyError"
}
export class WrongWalletCurrencyError extends ValidationError {
  static override readonly code: string = "WrongWalletCurrencyError"
  override readonly code: string = "WrongWalletCurrencyError"
}
export class AmountInvoiceExpectedError extends ValidationError {
  static override readonly code: string = "AmountInvoiceExpectedError"
  override readonly code: string = "AmountInvoiceExpectedError"
}
export class NoAmountInvoiceExpectedError extends ValidationError {
  static override readonly code: string = "NoAmountInvoiceExpectedError"
  override readonly code: string = "NoAmountInvoiceExpectedError"
}

// Business errors.
export class WalletNotFoundError extends NotFoundError {
  static override readonly code: string = "WalletNotFoundError"
  override readonly code: string = "WalletNotFoundError"
}
export class InvoiceNotFoundError extends NotFoundError {
  static override readonly code: string = "InvoiceNotFoundError"
  override readonly code: string = "InvoiceNotFoundError"
}
export class InvoiceExpiredError extends DomainError {
  static override readonly code: string = "InvoiceExpiredError"
  override readonly code: string = "InvoiceExpiredError"
}
export class InsufficientBalanceError extends DomainError {
  static override readonly code: string = "InsufficientBalanceError"
  override readonly code: string = "InsufficientBalanceError"
}
export class SelfPaymentError extends DomainError {
  static override readonly code: string = "SelfPaymentError"
  override readonly code: string = "SelfPaymentError"
}
export class PaymentInProgressError extends DomainError {
  static override readonly code: string = "PaymentInProgressError"
  override readonly code: string = "PaymentInProgressError"
}
export class LightningServiceError extends DomainError {
  static override readonly code: string = "LightningServiceError"
  override readonly code: string = "LightningServiceError"
}

/** A positive whole number of minor units, within bounds. */
export const checkedToMinorAmount = (raw: unknown): MinorAmount | InvalidAmountError => {
  if (typeof raw !== "number" || !Number.isFinite(raw)) return new InvalidAmountError("amount must be a number")
  if (!Number.isInteger(raw)) return new InvalidAmountError("amount must be a whole number of minor units")
  if (raw <= 0) return new InvalidAmountError("amount must be greater than zero")
  if (raw > MAX_AMOUNT) return new InvalidAmountError("amount is too large")
  return raw as MinorAmount
}
export const checkedToSatoshis = (raw: unknown) => checkedToMinorAmount(raw) as Satoshis | InvalidAmountError
export const checkedToUsdCents = (raw: unknown) => checkedToMinorAmount(raw) as UsdCents | InvalidAmountError

export const checkedToMemo = (raw: unknown): Memo | undefined | InvalidMemoError => {
  if (raw === undefined || raw === null) return undefined
  if (typeof raw !== "string") return new InvalidMemoError("memo must be a string")
  if (raw.length > MAX_MEMO_LENGTH) return new InvalidMemoError(`memo must be at most ${MAX_MEMO_LENGTH} characters`)
  return raw as Memo
}

/**
 * Invoice expiry in minutes (Flash's `expiresIn: Minutes`): 1 minute to 30 days.
 * Defaults as Flash: 24 h for BTC, 5 minutes for USD (the price is fixed at creation).
 */
export const DEFAULT_INVOICE_EXPIRY_MINUTES = 24 * 60
export const DEFAULT_USD_INVOICE_EXPIRY_MINUTES = 5
export const checkedToExpiryMinutes = (raw: unknown, fallback = DEFAULT_INVOICE_EXPIRY_MINUTES): number | InvalidExpiryError => {
  if (raw === undefined || raw === null) return fallback
  if (typeof raw !== "number" || !Number.isInteger(raw) || raw < 1 || raw > 30 * 24 * 60) {
    return new InvalidExpiryError("expiresIn must be a whole number of minutes between 1 and 43200")
  }
  return raw
}

/** Client-supplied idempotency key: 1–128 printable ASCII characters. */
export const checkedToIdempotencyKey = (raw: unknown): string | undefined | InvalidIdempotencyKeyError => {
  if (raw === undefined || raw === null) return undefined
  if (typeof raw !== "string" || !/^[\x21-\x7e]{1,128}$/.test(raw)) {
    return new InvalidIdempotencyKeyError("idempotencyKey must be 1 to 128 printable ASCII characters")
  }
  return raw
}
export class RecipientWalletNotFoundError extends NotFoundError {
  static override readonly code: string = "RecipientWalletNotFoundError"
  override readonly code: string = "RecipientWalletNotFoundError"
}
export { IdempotencyKeyReusedError } from "../payments/idempotency"
