// Pays another wallet of our ledger directly (Flash's intraLedgerPaymentSend).
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
import { bindPaymentWith } from "./idempotency"
import type { PaymentSendResult } from "./pay-invoice"
import type { PaymentPorts } from "./ports"
import { ApiTokenPayer, createTransfers, isRefusedBeforeDebit } from "./transfer"

export type PayIntraLedgerArgs = {
  wallet: Wallet
  recipientWalletId: unknown
  amount: unknown
  memo: unknown
  idempotencyKey: unknown
  apiToken?: ApiTokenPayer
}

/** Paying another wallet of our ledger, over the given ports. */
export const createIntraLedgerPayment = (ports: PaymentPorts) => {
  const { executeTransfer, announceIntraLedger, finishReplayedTransfer } = createTransfers(ports)

  const payIntraLedger = async (args: PayIntraLedgerArgs): Promise<PaymentSendResult | Error> => {
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
    const recipient = await ports.accounts.findWalletById(recipientId)
    if (recipient instanceof Error) return new RecipientWalletNotFoundError("recipient wallet not found")
    const recipientAmount = satsToMinor(sats, recipient.currency, "down")
    if (recipientAmount <= 0) return new InvalidAmountError("amount is below one cent for a USD wallet")

    // With an idempotency key the payment is bound to it first: a replay of the
    // same request resumes or answers the first payment, a different request
    // with the key is refused before anything moves.
    const binding = await bindPaymentWith(ports, {
      accountId: args.wallet.accountId,
      key,
      request: { operation: "intraLedgerPaymentSend", senderWalletId: args.wallet.id, recipient: recipient.id, amount: sats, memo },
    })
    if (binding instanceof Error) return binding
    if (binding.debited) {
      await finishReplayedTransfer(binding.transferId)
      return "SUCCESS"
    }
    const done = await executeTransfer({
      transferId: binding.transferId,
      kind: "intraledger",
      sender: { walletId: args.wallet.id, currency: "BTC", amount: sats },
      recipient: { walletId: recipient.id, currency: recipient.currency, amount: recipientAmount },
      memo,
      apiToken: args.apiToken,
    })
    if (done instanceof Error && isRefusedBeforeDebit(done)) await binding.release()
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

  return { payIntraLedger }
}
