// Idempotency keys of the money-moving mutations (Stripe's rule).
//
// A key belongs to the account that sends (a user session and every API token
// of that account share it; another account's identical key is another key):
// its record is named by `idempotencyScopeId(accountId, key)`. The record keeps
// a fingerprint of the request's parameters. The same key with the same
// parameters answers the first result; the same key with any different
// parameter is refused with IdempotencyKeyReusedError and moves nothing.
//
// The parameters compared are everything the caller chose: the mutation, the
// sender wallet, the recipient (wallet or invoice), the amount (when the caller
// gives one) and the memo (absent and "" differ). What the server derives (the
// recipient's amount at today's price, the fee) is not: a replay an hour later
// must still be recognised as the same request.
import { createHash } from "node:crypto"
import { DomainError } from "../shared/errors"

export class IdempotencyKeyReusedError extends DomainError {
  static override readonly code: string = "IdempotencyKeyReusedError"
  override readonly code: string = "IdempotencyKeyReusedError"
}

export type IdempotentOperation = "intraLedgerPaymentSend" | "lnInvoicePaymentSend" | "lnNoAmountInvoicePaymentSend"

export type IdempotentRequest = {
  operation: IdempotentOperation
  senderWalletId: string
  /** the recipient wallet id, or the invoice's payment hash */
  recipient: string
  /** in the sender's unit as the caller gave it; undefined when the invoice carries the amount */
  amount: number | undefined
  memo: string | undefined
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex")

/** The record id of a key: one per (account, key), so tenants never meet. */
export const idempotencyScopeId = (accountId: string, key: string) => `idem:${sha256(JSON.stringify([accountId, key]))}`

/** A fixed-order encoding of the parameters, so equal requests hash equal. */
export const requestFingerprint = (r: IdempotentRequest) =>
  sha256(JSON.stringify([r.operation, r.senderWalletId, r.recipient, r.amount ?? null, r.memo ?? null]))
