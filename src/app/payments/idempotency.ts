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
import { PaymentInProgressError } from "@/domain/wallets"
import type { PaymentPorts } from "./ports"

export type PaymentBinding = {
  transferId: string
  /** A replay whose first attempt's debit exists: answer its first result, move nothing. */
  debited: boolean
  /** Frees the key after a refusal that provably moved nothing (only the request that bound it does). */
  release: () => Promise<void>
}

const reused = () =>
  new IdempotencyKeyReusedError(
    "this idempotencyKey was already used for a different payment (another wallet, recipient, amount or memo); nothing was sent. Use a new key for a new payment",
  )

export type BindPaymentArgs = {
  accountId: string
  key: string | undefined
  request: IdempotentRequest
}

export const bindPaymentWith = async (
  ports: Pick<PaymentPorts, "idempotencyKeys" | "ledger" | "spends">,
  args: BindPaymentArgs,
): Promise<PaymentBinding | IdempotencyKeyReusedError | Error> => {
  if (args.key === undefined) return { transferId: randomUUID(), debited: false, release: async () => {} }
  const id = idempotencyScopeId(args.accountId, args.key)
  const fingerprint = requestFingerprint(args.request)
  const repo = ports.idempotencyKeys
  for (let attempt = 0; attempt < 3; attempt++) {
    const claimed = await repo.claim({ id, accountId: args.accountId, fingerprint, transferId: `idem-${randomUUID()}` })
    if (claimed instanceof Error) return claimed
    const { record } = claimed
    if (record.fingerprint !== fingerprint) return reused()
    if (claimed.created) return { transferId: record.transferId, debited: false, release: async () => void (await repo.release(id, record.transferId)) }

    // A replay of this very request: answered if its debit exists, resumed otherwise...
    const debit = await ports.ledger.findByEntryKey(`debit:${record.transferId}`)
    if (debit instanceof Error) return debit
    if (debit) return { transferId: record.transferId, debited: true, release: async () => {} }
    // ... unless its budget reservation was given back already (the recovery
    // job releases one whose debit never came): resuming would find that old
    // reservation and pay outside the budget. Bind the key again, with a new transfer id.
    const released = await ports.spends().isReleased(record.transferId)
    if (released instanceof Error) return released
    if (!released) return { transferId: record.transferId, debited: false, release: async () => {} }
    const freed = await repo.release(id, record.transferId)
    if (freed instanceof Error) return freed
  }
  return new PaymentInProgressError("a payment with this idempotencyKey is being retried concurrently; try again")
}
