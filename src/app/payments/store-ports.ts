// The payment ports over the real stores (mongoose on FerretDB): the one place
// that maps each port to its repository. The composition root
// (src/servers/wallet-services.ts) calls it once with the process's
// collaborators; so does a test that pays through the stores. Without
// `recordSent`, what API tokens send is not counted in the audit's usage hours
// (the API process always gives it; the bench and tests in-process do not count).
import type { LedgerHeads } from "@/services/ledger-heads"
import { AccountsRepository } from "@/services/mongoose/accounts"
import { ApiTokenSpendsRepository } from "@/services/mongoose/api-token-spends"
import { IdempotencyKeysRepository } from "@/services/mongoose/idempotency-keys"
import { InvoicesRepository } from "@/services/mongoose/invoices"
import { LedgerRepository } from "@/services/mongoose/ledger"
import type { PubSub } from "@/services/pubsub"
import type { PaymentLightning, PaymentPorts } from "./ports"

export type StorePaymentPortsOptions = {
  /** Where each append sets its wallet's head and balances are read first (services/ledger-heads; `off`: the ledger alone). */
  heads: LedgerHeads
  lightning: PaymentLightning
  pubsub: Pick<PubSub, "publish">
  recordSent?: PaymentPorts["recordSent"]
}

export const storePaymentPorts = (o: StorePaymentPortsOptions): PaymentPorts & { ledger: ReturnType<typeof LedgerRepository> } => ({
  ledger: LedgerRepository({ heads: o.heads }),
  accounts: AccountsRepository(),
  invoices: InvoicesRepository(),
  spends: (clock = {}) => ApiTokenSpendsRepository(clock),
  idempotencyKeys: IdempotencyKeysRepository(),
  lightning: o.lightning,
  publish: (topic, event) => o.pubsub.publish(topic, event),
  recordSent: o.recordSent ?? (() => undefined),
})
