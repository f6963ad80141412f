// The composition root of the wallet: builds, once per API process, the
// sandbox Lightning node (its key in the data dir), the event bus (Redis when
// configured, so every replica delivers subscription events), the wallet
// heads in Redis that answer balance reads (services/ledger-heads), and over
// them the wallet's services (composeWalletServices): the payment ports over
// the stores, with one ledger that writes its heads to those heads, and the
// payment use cases over those ports; and runs the repair of transfers a crash
// left half done: at start from the repair watermark (app/payments/repair-watermark.ts),
// then every minute.
//
// Passed down, never kept process-wide: `services` to the GraphQL context (by
// createApiServer), the repair job here and the dev routes.
import { createPayments } from "@/app/payments"
import { planStartUpRepair, runRecentRepair, runStartUpRepair, TransferRepairDeps, WatermarkedRun } from "@/app/payments/repair-watermark"
import type { PaymentPorts } from "@/app/payments/ports"
import { storePaymentPorts } from "@/app/payments/store-ports"
import type { WalletServices } from "@/app/wallet-services"
import type { Config } from "@/config"
import type { LightningService } from "@/services/lightning"
import type { Logger } from "@/services/logger"
import { loadOrCreateNodeKey, SandboxLightningService } from "@/services/lightning/sandbox"
import { createLedgerHeads, LedgerHeads } from "@/services/ledger-heads"
import { metrics } from "@/services/metrics"
import type { LedgerRepository } from "@/services/mongoose/ledger"
import { RepairWatermarksRepository, transferStoreIsEmpty } from "@/services/mongoose/repair-watermarks"
import { InProcessPubSub, PubSub, RedisPubSub } from "@/services/pubsub"

const REPAIR_EVERY_MS = 60_000

export type WalletComposition = { services: WalletServices; stop: () => Promise<void> }

/**
 * The wallet's services over the stores and the given collaborators; starts
 * nothing. What startWalletServices runs on, and what a test in-process builds
 * with the collaborators it chose (the ledger comes whole: a test appends to it).
 */
export const composeWalletServices = (c: {
  lightning: LightningService
  pubsub: PubSub
  heads: LedgerHeads
  recordSent?: PaymentPorts["recordSent"]
}): WalletServices & { ledger: ReturnType<typeof LedgerRepository> } => {
  const ports = storePaymentPorts(c)
  return { lightning: c.lightning, pubsub: c.pubsub, ledger: ports.ledger, payments: createPayments(ports) }
}

/**
 * What a repair run says: its log lines, and the metrics an operator alerts on
 * (a record left unfinished run after run, a watermark that stops advancing,
 * runs that fail).
 */
export const repairReporter =
  (logger: Pick<Logger, "warn">) =>
  ({ run, advanced }: WatermarkedRun) => {
    if (run instanceof Error) {
      metrics.transferRepairFailures.inc()
      logger.warn({ err: run.message }, "transfer repair failed")
    } else {
      metrics.transferRepairUnfinished.set(run.left)
      if (run.credited || run.released || run.reservationsReleased || run.left) {
        logger.warn({ credited: run.credited, released: run.released, reservationsReleased: run.reservationsReleased, left: run.left }, "repaired unfinished transfers")
      }
      if (advanced === true) metrics.transferRepairWatermark.set(run.span.through.getTime() / 1000)
    }
    if (advanced instanceof Error) logger.warn({ err: advanced.message }, "transfer repair watermark not written")
  }

export const startWalletServices = async (
  config: Config,
  logger: Logger,
  /** Counts what API tokens send (the audit's usage hours); absent: not counted (the bench API). */
  deps: { recordSent?: PaymentPorts["recordSent"] } = {},
): Promise<WalletComposition> => {
  const lightning = SandboxLightningService({ nodePrivateKey: loadOrCreateNodeKey(config.dataDir) })
  const pubsub = config.redis
    ? RedisPubSub({ url: config.redis.url, keyPrefix: config.redis.keyPrefix, logger })
    : InProcessPubSub()
  const heads = await createLedgerHeads({ redis: config.redis, ttlMs: config.ledgerHeadTtlSeconds * 1000 })
  const services = composeWalletServices({ lightning, pubsub, heads, recordSent: deps.recordSent })
  logger.info(
    { nodeId: lightning.nodesIds()[0], pubsub: config.redis ? "redis" : "in-process", balanceHeads: heads.mode() },
    "sandbox lightning node ready",
  )

  // At start, look back from the repair watermark (what earlier runs settled,
  // minus a margin; a week without one: this replica may have died
  // mid-transfer); then every minute over the last ten minutes.
  const repairDeps: TransferRepairDeps = {
    repair: (o) => services.payments.repairTransfers(o),
    watermark: RepairWatermarksRepository(),
    storeIsEmpty: transferStoreIsEmpty,
  }
  const report = repairReporter(logger)
  const repairAtStart = async () => {
    const plan = await planStartUpRepair(repairDeps)
    logger.info(
      {
        from: plan.from.toISOString(),
        windowMinutes: Math.round(plan.windowMs / 60_000),
        basis: plan.basis,
        watermark: plan.watermark instanceof Error ? `unreadable: ${plan.watermark.message}` : plan.watermark?.toISOString(),
      },
      "start-up transfer repair window",
    )
    if (plan.watermark instanceof Date) metrics.transferRepairWatermark.set(plan.watermark.getTime() / 1000)
    report(await runStartUpRepair(repairDeps, plan))
  }
  const failed = (e: unknown) => {
    metrics.transferRepairFailures.inc()
    logger.warn({ err: e instanceof Error ? e.message : String(e) }, "transfer repair failed")
  }
  void repairAtStart().catch(failed)
  const timer = setInterval(() => void runRecentRepair(repairDeps).then(report).catch(failed), REPAIR_EVERY_MS)
  timer.unref()
  return {
    services,
    stop: async () => {
      clearInterval(timer)
      await pubsub.close()
      await heads.close()
    },
  }
}
