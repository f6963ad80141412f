// The ports the wallet use cases call, wired once at start (src/servers/main.ts)
// or by a test: the Lightning node and the event bus for subscriptions.
import type { LightningService } from "@/services/lightning"
import type { PubSub } from "@/services/pubsub"

export type WalletServices = { lightning: LightningService; pubsub: PubSub }

let services: WalletServices | undefined

export const configureWalletServices = (s: WalletServices) => {
  services = s
}

export const walletServices = (): WalletServices => {
  if (!services) throw new Error("wallet services are not configured (configureWalletServices)")
  return services
}
