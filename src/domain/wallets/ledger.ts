// One entry of the append-only ledger, as the use cases and the API see it
// (src/services/mongoose/ledger.ts stores and reads it).
import type { WalletCurrency, WalletId } from "../accounts"
import { InsufficientBalanceError, InvalidAmountError } from "./index"

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

/** The wallet's newest entry as an append sees it: version 0, balance 0 before the first. */
export type LedgerHead = { version: number; balance: number }

/**
 * The rule every append obeys, checked against the head it extends: a debit
 * may not take the balance below zero, and with `maxBalance` a credit may not
 * raise it above that. Answers the entry's version and balance, or the refusal.
 * (Storage adds the rest: versions per wallet gapless from 1, one entry per entryKey.)
 */
export const nextLedgerHead = (
  head: LedgerHead,
  amount: number,
  opts: { maxBalance?: number } = {},
): LedgerHead | InsufficientBalanceError | InvalidAmountError => {
  const balance = head.balance + amount
  if (opts.maxBalance !== undefined && amount > 0 && balance > opts.maxBalance) {
    return new InvalidAmountError(`the credit would raise the wallet's balance above ${opts.maxBalance}`)
  }
  if (amount < 0 && balance < 0) return new InsufficientBalanceError(`balance ${head.balance} is below ${-amount}`)
  return { version: head.version + 1, balance }
}
