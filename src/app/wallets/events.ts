// What the wallet publishes for subscriptions (src/services/pubsub topics).
import type { WalletId } from "@/domain/accounts"

export type InvoiceStatusEvent = { paymentHash: string; walletId: WalletId; status: "PAID" | "EXPIRED" }

export type AccountUpdateEvent =
  | { type: "LnUpdate"; walletId: WalletId; paymentHash: string; status: "PAID" }
  | {
      type: "IntraLedgerUpdate"
      walletId: WalletId
      /** minor units of the wallet */
      amount: number
      txNotificationType: "IntraLedgerPayment" | "IntraLedgerReceipt"
    }
