// The wallet's services over the real stores, built in a test's own process the
// way the API's composition root builds them (composeWalletServices), with the
// collaborators a test of the money path needs and no more: no wallet heads
// (every balance from the ledger), an in-process event bus, a sandbox node with
// a key of its own.
import { randomBytes } from "node:crypto"
import type { WalletCurrency, WalletId } from "@/domain/accounts"
import { composeWalletServices } from "@/servers/wallet-services"
import { off } from "@/services/ledger-heads"
import { SandboxLightningService } from "@/services/lightning/sandbox"
import { InProcessPubSub } from "@/services/pubsub"

export const storeWallet = () => {
  const services = composeWalletServices({
    lightning: SandboxLightningService({ nodePrivateKey: randomBytes(32).toString("hex") }),
    pubsub: InProcessPubSub(),
    heads: off,
  })
  /** Credits `amount` to the wallet straight in the ledger, as a deposit (one per wallet). */
  const fund = async (walletId: WalletId, amount: number, currency: WalletCurrency = "BTC") => {
    const r = await services.ledger.append({ walletId, amount, entryKey: `credit:fund-${walletId}`, transferId: `fund-${walletId}`, kind: "intraledger", currency })
    if (r instanceof Error) throw r
  }
  return { ...services, fund }
}
