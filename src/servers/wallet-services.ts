// The composition root of the wallet: builds, once per API process, the
// sandbox Lightning node (its key in the data dir), the event bus (Redis when
// configured, so every replica delivers subscription events), the wallet
// heads in Redis that answer balance reads (services/ledger-heads), the
// payment ports over the stores with those collaborators (the ledger writes
// its heads to `heads`, given here) and the payment use cases over them; and
// runs the periodic repair of transfers a crash left half done.
//
// Passed down: `payments` to the repair job here and to the dev routes. Still
// through process-wide state, for code built as module constants (the GraphQL
// schema): the wallet services with the same ports (app/wallet-services.ts),
// and the heads (setLedgerHeads) for the balance reads of the GraphQL types.
import { createPayments, Payments } from "@/app/payments"
import { storePaymentPorts } from "@/app/payments/store-ports"
import type { PaymentPorts } from "@/app/payments/ports"
import { configureWalletServices } from "@/app/wallet-services"
import type { Config } from "@/config"
import type { Logger } from "@/services/logger"
import { loadOrCreateNodeKey, SandboxLightningService } from "@/services/lightning/sandbox"
import { createLedgerHeads, LedgerHeads, setLedgerHeads } from "@/services/ledger-heads"
import { InProcessPubSub, RedisPubSub } from "@/services/pubsub"

const REPAIR_EVERY_MS = 60_000

export type WalletComposition = { payments: Payments; paymentPorts: PaymentPorts; heads: LedgerHeads; stop: () => Promise<void> }

export const startWalletServices = async (
  config: Config,
  logger: Logger,
  /** Counts what API tokens send (the audit's usage hours); absent: the process-wide aggregator, if any (bench). */
  deps: { recordSent?: PaymentPorts["recordSent"] } = {},
): Promise<WalletComposition> => {
  const lightning = SandboxLightningService({ nodePrivateKey: loadOrCreateNodeKey(config.dataDir) })
  const pubsub = config.redis
    ? RedisPubSub({ url: config.redis.url, keyPrefix: config.redis.keyPrefix, logger })
    : InProcessPubSub()
  const heads = await createLedgerHeads({ redis: config.redis, ttlMs: config.ledgerHeadTtlSeconds * 1000 })
  const paymentPorts = storePaymentPorts({ heads, lightning, pubsub, recordSent: deps.recordSent })
  const payments = createPayments(paymentPorts)
  configureWalletServices({ lightning, pubsub, paymentPorts })
  setLedgerHeads(heads)
  logger.info(
    { nodeId: lightning.nodesIds()[0], pubsub: config.redis ? "redis" : "in-process", balanceHeads: heads.mode() },
    "sandbox lightning node ready",
  )

  const repair = async (windowMs: number) => {
    const r = await payments.completeUnfinishedTransfers({ windowMs })
    if (r instanceof Error) logger.warn({ err: r.message }, "transfer repair failed")
    else if (r.credited || r.released || r.reservationsReleased) logger.warn(r, "repaired unfinished transfers")
  }
  // At start, look back a week (this replica may have died mid-transfer); then
  // every minute over the last ten minutes.
  void repair(7 * 24 * 3600_000)
  const timer = setInterval(() => void repair(10 * 60_000), REPAIR_EVERY_MS)
  timer.unref()
  return {
    payments,
    paymentPorts,
    heads,
    stop: async () => {
      clearInterval(timer)
      await pubsub.close()
      await heads.close()
    },
  }
}
