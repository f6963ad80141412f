// The payment ports over the real stores (mongoose on FerretDB): the one place
// that maps each port to its repository. The composition root
// (src/servers/wallet-services.ts) calls it once with every collaborator given.
// Called without them (the module-level use cases of ./transfer.ts and its
// siblings, for the callers not handed the composed payments yet), each one
// is looked up at its use: the process-wide ledger heads, the configured
// wallet services (src/app/wallet-services.ts); without `recordSent`, what API
// tokens send is not counted in the audit's usage hours (the API process
// always gives it; bench and tests in-process do not count).
import type { LedgerHeads } from "@/services/ledger-heads"
import { AccountsRepository } from "@/services/mongoose/accounts"
import { ApiTokenSpendsRepository } from "@/services/mongoose/api-token-spends"
import { IdempotencyKeysRepository } from "@/services/mongoose/idempotency-keys"
import { InvoicesRepository } from "@/services/mongoose/invoices"
import { LedgerRepository } from "@/services/mongoose/ledger"
import type { PubSub } from "@/services/pubsub"
import { configuredPaymentPorts, walletServices } from "../wallet-services"
import type { PaymentLightning, PaymentPorts } from "./ports"

export type StorePaymentPortsOptions = {
  /** Where each append sets its wallet's head (services/ledger-heads). */
  heads?: LedgerHeads
  lightning?: PaymentLightning
  pubsub?: Pick<PubSub, "publish">
  recordSent?: PaymentPorts["recordSent"]
}

export const storePaymentPorts = (o: StorePaymentPortsOptions = {}): PaymentPorts => {
  const lightning = o.lightning
  const pubsub = o.pubsub
  return {
    ledger: LedgerRepository({ heads: o.heads }),
    accounts: AccountsRepository(),
    invoices: InvoicesRepository(),
    spends: (clock = {}) => ApiTokenSpendsRepository(clock),
    idempotencyKeys: IdempotencyKeysRepository(),
    lightning: lightning ?? {
      decodeInvoice: (paymentRequest) => walletServices().lightning.decodeInvoice(paymentRequest),
      isLocal: (invoice) => walletServices().lightning.isLocal(invoice),
    },
    publish: pubsub ? (topic, event) => pubsub.publish(topic, event) : (topic, event) => walletServices().pubsub.publish(topic, event),
    recordSent: o.recordSent ?? (() => undefined),
  }
}

/**
 * The ports of the module-level use cases: the composed ones once the
 * composition root configured them, else the stores with their collaborators
 * looked up at each use (integration tests that call a use case directly).
 */
export const paymentPortsInUse = (): PaymentPorts => configuredPaymentPorts() ?? storePaymentPorts()
