// Wires the wallet's ports for the API process: the sandbox Lightning node
// (its key in the data dir), the event bus (Redis when configured, so every
// replica delivers subscription events), the wallet heads in Redis that answer
// balance reads (services/ledger-heads) and the periodic repair of transfers a
// crash left half done.
import { completeUnfinishedTransfers } from "@/app/payments/transfer"
import { configureWalletServices } from "@/app/wallet-services"
import type { Config } from "@/config"
import type { Logger } from "@/services/logger"
import { loadOrCreateNodeKey, SandboxLightningService } from "@/services/lightning/sandbox"
import { createLedgerHeads, setLedgerHeads } from "@/services/ledger-heads"
import { InProcessPubSub, RedisPubSub } from "@/services/pubsub"

const REPAIR_EVERY_MS = 60_000

export const startWalletServices = async (config: Config, logger: Logger) => {
  const lightning = SandboxLightningService({ nodePrivateKey: loadOrCreateNodeKey(config.dataDir) })
  const pubsub = config.redis
    ? RedisPubSub({ url: config.redis.url, keyPrefix: config.redis.keyPrefix, logger })
    : InProcessPubSub()
  configureWalletServices({ lightning, pubsub })
  const heads = await createLedgerHeads({ redis: config.redis, ttlMs: config.ledgerHeadTtlSeconds * 1000 })
  setLedgerHeads(heads)
  logger.info(
    { nodeId: lightning.nodesIds()[0], pubsub: config.redis ? "redis" : "in-process", balanceHeads: heads.mode() },
    "sandbox lightning node ready",
  )

  const repair = async (windowMs: number) => {
    const r = await completeUnfinishedTransfers({ windowMs })
    if (r instanceof Error) logger.warn({ err: r.message }, "transfer repair failed")
    else if (r.credited || r.released || r.reservationsReleased) logger.warn(r, "repaired unfinished transfers")
  }
  // At start, look back a week (this replica may have died mid-transfer); then
  // every minute over the last ten minutes.
  void repair(7 * 24 * 3600_000)
  const timer = setInterval(() => void repair(10 * 60_000), REPAIR_EVERY_MS)
  timer.unref()
  return {
    stop: async () => {
      clearInterval(timer)
      await pubsub.close()
      await heads.close()
    },
  }
}
