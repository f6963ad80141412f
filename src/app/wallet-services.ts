// The ports the wallet use cases call, wired once at start by the composition
// root (src/servers/wallet-services.ts) or by a test: the Lightning node, the event
// bus for subscriptions and the payment ports (./payments/ports.ts) the
// module-level payment use cases use. Callers handed the composed payments
// (the repair job, the dev routes) do not read them from here.
import type { LightningService } from "@/services/lightning"
import type { PubSub } from "@/services/pubsub"
import type { PaymentPorts } from "./payments/ports"

export type WalletServices = { lightning: LightningService; pubsub: PubSub; paymentPorts?: PaymentPorts }

let services: WalletServices | undefined

export const configureWalletServices = (s: WalletServices) => {
  services = s
}

export const walletServices = (): WalletServices => {
  if (!services) throw new Error("wallet services are not configured (configureWalletServices)")
  return services
}

/** The payment ports the composition root configured, if it did. */
export const configuredPaymentPorts = (): PaymentPorts | undefined => services?.paymentPorts
