// One entry of the append-only ledger, as the use cases and the API see it
// (src/services/mongoose/ledger.ts stores and reads it).
import type { WalletCurrency, WalletId } from "../accounts"

export type LedgerEntryKind = "invoice" | "intraledger" | "external"
export type LedgerEntry = {
  id: string
  walletId: WalletId
  version: number
  amount: number
  balance: number
  entryKey: string
  transferId: string
  kind: LedgerEntryKind
  direction: "SEND" | "RECEIVE"
  currency: WalletCurrency
  memo?: string
  paymentHash?: string
  counterpartyWalletId?: WalletId
  creditAmount?: number
  createdAt: Date
}
