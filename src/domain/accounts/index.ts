// Accounts, users and wallets: the identities API tokens act for.
import { Branded } from "../shared/brand"
import { ValidationError } from "../shared/errors"

export type UserId = Branded<string, "UserId">
export type AccountId = Branded<string, "AccountId">
export type WalletId = Branded<string, "WalletId">
export type PhoneNumber = Branded<string, "PhoneNumber">
export type Username = Branded<string, "Username">

export type WalletCurrency = "BTC" | "USD"
export type AccountStatus = "ACTIVE" | "LOCKED"

export type User = { id: UserId; phone: PhoneNumber; createdAt: Date }
export type Account = {
  id: AccountId
  userId: UserId
  defaultWalletId: WalletId
  status: AccountStatus
  createdAt: Date
}
export type Wallet = { id: WalletId; accountId: AccountId; currency: WalletCurrency; createdAt: Date }

export class InvalidPhoneNumberError extends ValidationError {
  static override readonly code: string = "InvalidPhoneNumberError"
  override readonly code: string = "InvalidPhoneNumberError"
}
export class InvalidWalletIdError extends ValidationError {
  static override readonly code: string = "InvalidWalletIdError"
  override readonly code: string = "InvalidWalletIdError"
}
export class InvalidAccountIdError extends ValidationError {
  static override readonly code: string = "InvalidAccountIdError"
  override readonly code: string = "InvalidAccountIdError"
}
export class InvalidUsernameError extends ValidationError {
  static override readonly code: string = "InvalidUsernameError"
  override readonly code: string = "InvalidUsernameError"
}

/** 3–50 letters, digits or underscores, compared case-insensitively (stored lowercase). */
export const checkedToUsername = (raw: unknown): Username | InvalidUsernameError =>
  typeof raw === "string" && /^[A-Za-z0-9_]{3,50}$/.test(raw)
    ? (raw.toLowerCase() as Username)
    : new InvalidUsernameError("username must be 3-50 letters, digits or underscores")

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** E.164: a plus sign and 8 to 15 digits. */
export const checkedToPhoneNumber = (raw: unknown): PhoneNumber | InvalidPhoneNumberError =>
  typeof raw === "string" && /^\+[1-9][0-9]{7,14}$/.test(raw)
    ? (raw as PhoneNumber)
    : new InvalidPhoneNumberError("phone must be in E.164 form, e.g. +15550001111")

export const checkedToWalletId = (raw: unknown): WalletId | InvalidWalletIdError =>
  typeof raw === "string" && UUID.test(raw) ? (raw as WalletId) : new InvalidWalletIdError("invalid wallet id")

export const checkedToAccountId = (raw: unknown): AccountId | InvalidAccountIdError =>
  typeof raw === "string" && UUID.test(raw) ? (raw as AccountId) : new InvalidAccountIdError("invalid account id")
