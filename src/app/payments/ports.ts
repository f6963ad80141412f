// What the payment use cases need from the outside world, as the methods they
// call: the ledger, the wallets, the invoices and their settlement claims, the
// API tokens' spend log, the idempotency keys, the Lightning node's invoice
// decoding, the event bus and the usage counters. The composition root
// (src/servers/wallet-services.ts) builds them once from the stores; a unit test
// passes in-memory ones (test/support/in-memory-payment-ports.ts).
import type { SentAmount } from "@/domain/audit"
import type { LightningService } from "@/services/lightning"
import type { AccountsRepository } from "@/services/mongoose/accounts"
import type { ApiTokenSpendsRepository } from "@/services/mongoose/api-token-spends"
import type { IdempotencyKeysRepository } from "@/services/mongoose/idempotency-keys"
import type { InvoicesRepository } from "@/services/mongoose/invoices"
import type { LedgerRepository } from "@/services/mongoose/ledger"

export type PaymentLedger = Pick<
  ReturnType<typeof LedgerRepository>,
  "append" | "findByEntryKey" | "debitsWithoutCredit" | "transfersDebitedSince"
>
export type PaymentWallets = Pick<ReturnType<typeof AccountsRepository>, "findWalletById">
export type PaymentInvoices = Pick<
  ReturnType<typeof InvoicesRepository>,
  "findByPaymentHash" | "claimSettlement" | "releaseSettlement" | "markSettled" | "markPaid" | "unsettledClaims"
>
export type PaymentSpends = Pick<ReturnType<typeof ApiTokenSpendsRepository>, "reserve" | "release" | "unreleasedReservations" | "isReleased">
export type PaymentIdempotencyKeys = Pick<ReturnType<typeof IdempotencyKeysRepository>, "claim" | "release">
export type PaymentLightning = Pick<LightningService, "decodeInvoice" | "isLocal">

export type PaymentPorts = {
  ledger: PaymentLedger
  accounts: PaymentWallets
  invoices: PaymentInvoices
  /**
   * The spend log of API token budgets; `now` is the clock that places a
   * reservation in its budget period (a transfer may bring its own).
   */
  spends: (clock?: { now?: () => Date }) => PaymentSpends
  idempotencyKeys: PaymentIdempotencyKeys
  lightning: PaymentLightning
  /** Tells the subscribers (a topic of services/pubsub and its event). */
  publish: (topic: string, event: unknown) => Promise<void>
  /** Counts what an API token sent in its usage hours. */
  recordSent: (tokenId: string, accountId: string, sent: SentAmount) => void
}
