// Pays another wallet of our ledger directly (Flash's intraLedgerPaymentSend).
import { createHash, randomUUID } from "node:crypto"
import type { Wallet } from "@/domain/accounts"
import { checkedToWalletId } from "@/domain/accounts"
import { satsToMinor } from "@/domain/payments/price"
import {
  checkedToIdempotencyKey,
  checkedToMemo,
  checkedToSatoshis,
  InvalidAmountError,
  RecipientWalletNotFoundError,
  SelfPaymentError,
  WrongWalletCurrencyError,
} from "@/domain/wallets"
import { AccountsRepository } from "@/services/mongoose/accounts"
import { LedgerRepository } from "@/services/mongoose/ledger"
import type { PaymentSendResult } from "./pay-invoice"
import { announceIntraLedger, executeTransfer, ApiTokenPayer } from "./transfer"

export const payIntraLedger = async (args: {
  wallet: Wallet
  recipientWalletId: unknown
  amount: unknown
  memo: unknown
  idempotencyKey: unknown
  apiToken?: ApiTokenPayer
}): Promise<PaymentSendResult | Error> => {
  if (args.wallet.currency !== "BTC") return new WrongWalletCurrencyError("intraLedgerPaymentSend sends from a BTC wallet")
  const sats = checkedToSatoshis(args.amount)
  if (sats instanceof Error) return sats
  const memo = checkedToMemo(args.memo)
  if (memo instanceof Error) return memo
  const key = checkedToIdempotencyKey(args.idempotencyKey)
  if (key instanceof Error) return key
  const recipientId = checkedToWalletId(args.recipientWalletId)
  if (recipientId instanceof Error) return new RecipientWalletNotFoundError("recipient wallet not found")
  if (recipientId === args.wallet.id) return new SelfPaymentError("a wallet cannot pay itself")
  const recipient = await AccountsRepository().findWalletById(recipientId)
  if (recipient instanceof Error) return new RecipientWalletNotFoundError("recipient wallet not found")
  const recipientAmount = satsToMinor(sats, recipient.currency, "down")
  if (recipientAmount <= 0) return new InvalidAmountError("amount is below one cent for a USD wallet")

  // With an idempotency key the transfer id is derived from it: a replay finds
  // the existing debit instead of paying again.
  const transferId = key
    ? `idem-${createHash("sha256").update(`${args.wallet.id}\n${key}`).digest("hex").slice(0, 40)}`
    : randomUUID()
  if (key) {
    const existing = await LedgerRepository().findByEntryKey(`debit:${transferId}`)
    if (existing instanceof Error) return existing
    if (existing) return "SUCCESS"
  }
  const done = await executeTransfer({
    transferId,
    kind: "intraledger",
    sender: { walletId: args.wallet.id, currency: "BTC", amount: sats },
    recipient: { walletId: recipient.id, currency: recipient.currency, amount: recipientAmount },
    memo,
    apiToken: args.apiToken,
  })
  if (done instanceof Error) return done
  if (done.credit instanceof Error) return "PENDING"
  await announceIntraLedger(args.wallet.accountId, {
    type: "IntraLedgerUpdate",
    walletId: args.wallet.id,
    amount: sats,
    txNotificationType: "IntraLedgerPayment",
  })
  await announceIntraLedger(recipient.accountId, {
    type: "IntraLedgerUpdate",
    walletId: recipient.id,
    amount: recipientAmount,
    txNotificationType: "IntraLedgerReceipt",
  })
  return "SUCCESS"
}
