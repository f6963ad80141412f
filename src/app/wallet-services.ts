// What the wallet's resolvers and use cases are handed: the Lightning node, the
// event bus of the subscriptions, the ledger that answers balances and
// transaction pages (through the wallet heads), and the payment use cases over
// the same ports. Built once per API process by the composition root
// (src/servers/wallet-services.ts) and passed down: to the GraphQL context
// (walletOf(ctx)), the repair job, the dev routes. Nothing keeps them process-wide.
import type { LightningService } from "@/services/lightning"
import type { LedgerRepository } from "@/services/mongoose/ledger"
import type { PubSub } from "@/services/pubsub"
import type { Payments } from "./payments"

export type WalletLedgerReader = Pick<ReturnType<typeof LedgerRepository>, "balanceOf" | "listForWallets">

export type WalletServices = {
  lightning: LightningService
  pubsub: PubSub
  ledger: WalletLedgerReader
  payments: Payments
}
