// Binds a payment to its idempotency key before any money moves (the rule is
// in src/domain/payments/idempotency.ts). Without a key every call is a new
// payment with a fresh transfer id.
import { randomUUID } from "node:crypto"
import {
  IdempotencyKeyReusedError,
  IdempotentRequest,
  idempotencyScopeId,
  requestFingerprint,
} from "@/domain/payments/idempotency"
import { IdempotencyKeysRepository } from "@/services/mongoose/idempotency-keys"
import { LedgerRepository } from "@/services/mongoose/ledger"

export type PaymentBinding = {
  transferId: string
  /** The key was already bound to this very request: resume or answer it, never start another payment. */
  replay: boolean
  /** Frees the key after a refusal that provably moved nothing (only the request that bound it does). */
  release: () => Promise<void>
}

export const bindPayment = async (args: {
  accountId: string
  key: string | undefined
  request: IdempotentRequest
}): Promise<PaymentBinding | IdempotencyKeyReusedError | Error> => {
  if (args.key === undefined) return { transferId: randomUUID(), replay: false, release: async () => {} }
  const id = idempotencyScopeId(args.accountId, args.key)
  const fingerprint = requestFingerprint(args.request)
  const repo = IdempotencyKeysRepository()
  const claimed = await repo.claim({ id, accountId: args.accountId, fingerprint, transferId: `idem-${randomUUID()}` })
  if (claimed instanceof Error) return claimed
  const { record } = claimed
  if (record.fingerprint !== fingerprint) {
    return new IdempotencyKeyReusedError(
      "this idempotencyKey was already used for a different payment (another wallet, recipient, amount or memo); nothing was sent. Use a new key for a new payment",
    )
  }
  return {
    transferId: record.transferId,
    replay: !claimed.created,
    release: claimed.created
      ? async () => {
          await repo.release(id, record.transferId)
        }
      : async () => {},
  }
}

/** A replay whose debit exists answers the first result: the payment happened. */
export const debitOfReplay = async (binding: PaymentBinding) =>
  binding.replay ? LedgerRepository().findByEntryKey(`debit:${binding.transferId}`) : undefined
