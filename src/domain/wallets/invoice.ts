// A Lightning invoice our node issued for a wallet, as the use cases and the API
// see it (src/services/mongoose/invoices.ts stores and reads it).
import type { AccountId, WalletId, WalletCurrency } from "../accounts"

export type WalletInvoice = {
  paymentHash: string
  paymentRequest: string
  walletId: WalletId
  accountId: AccountId
  currency: WalletCurrency
  amountSats: number | undefined
  receiveAmount: number | undefined
  memo: string | undefined
  paymentSecret: string
  preimage: string
  expiresAt: Date
  createdAt: Date
  paidAt: Date | undefined
}
