// The wallet's services over the real stores, built in a test's own process the
// way the API's composition root builds them (composeWalletServices), with the
// collaborators a test of the money path needs and no more: no wallet heads
// (every balance from the ledger), an in-process event bus, a sandbox node with
// a key of its own.
import { randomBytes } from "node:crypto"
import { composeWalletServices } from "@/servers/wallet-services"
import { off } from "@/services/ledger-heads"
import { SandboxLightningService } from "@/services/lightning/sandbox"
import { InProcessPubSub } from "@/services/pubsub"

export const storeWallet = () =>
  composeWalletServices({
    lightning: SandboxLightningService({ nodePrivateKey: randomBytes(32).toString("hex") }),
    pubsub: InProcessPubSub(),
    heads: off,
  })
