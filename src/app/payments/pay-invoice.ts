// Pays a BOLT11 invoice from one of the caller's wallets (Flash's
// lnInvoicePaymentSend, lnNoAmountInvoicePaymentSend,
// lnNoAmountUsdInvoicePaymentSend). Invoices of our node settle on the
// ledger; the sandbox network knows no other node, so any other invoice is
// unknown.
import type { Wallet } from "@/domain/accounts"
import { minorToSats, satsToMinor } from "@/domain/payments/price"
import {
  AmountInvoiceExpectedError,
  checkedToIdempotencyKey,
  checkedToMemo,
  checkedToMinorAmount,
  InvalidAmountError,
  InvoiceExpiredError,
  InvoiceNotFoundError,
  NoAmountInvoiceExpectedError,
  PaymentInProgressError,
  SelfPaymentError,
  WrongWalletCurrencyError,
} from "@/domain/wallets"
import type { WalletInvoice } from "@/domain/wallets/invoice"
import { bindPaymentWith } from "./idempotency"
import type { PaymentPorts } from "./ports"
import { ApiTokenPayer, createTransfers, isRefusedBeforeDebit } from "./transfer"

export type PaymentSendResult = "SUCCESS" | "ALREADY_PAID" | "PENDING" | "FAILURE"

export type PayInvoiceArgs = {
  wallet: Wallet
  paymentRequest: unknown
  memo: unknown
  /**
   * For no-amount invoices: the amount and its unit ("sats" for
   * lnNoAmountInvoicePaymentSend, "cents" for lnNoAmountUsdInvoicePaymentSend).
   * undefined: the invoice must carry its amount.
   */
  amount?: { value: unknown; unit: "sats" | "cents" }
  /** The paying API token and its budget, if any. */
  apiToken?: ApiTokenPayer
  /** Optional client key (lnInvoicePaymentSend, lnNoAmountInvoicePaymentSend): see ./idempotency.ts */
  idempotencyKey?: unknown
}

/** Paying an invoice of our node, over the given ports. */
export const createInvoicePayments = (ports: PaymentPorts) => {
  const { invoices } = ports
  const { executeTransfer, announceInvoicePaid, announceIntraLedger, finishReplayedTransfer } = createTransfers(ports)

  /** Looks up an invoice of our node by its payment request (no ownership check). */
  const findLocalInvoice = async (paymentRequest: unknown): Promise<WalletInvoice | Error> => {
    const { lightning } = ports
    const decoded = lightning.decodeInvoice(paymentRequest as string)
    if (decoded instanceof Error) return decoded
    if (!lightning.isLocal(decoded)) return new InvoiceNotFoundError("the sandbox network only knows invoices of this node")
    const invoice = await invoices.findByPaymentHash(decoded.paymentHash)
    if (invoice instanceof Error) return invoice
    if (invoice.paymentRequest !== decoded.paymentRequest) return new InvoiceNotFoundError("unknown invoice")
    return invoice
  }

  const payInvoice = async (args: PayInvoiceArgs): Promise<PaymentSendResult | Error> => {
    const memo = checkedToMemo(args.memo)
    if (memo instanceof Error) return memo
    const key = checkedToIdempotencyKey(args.idempotencyKey)
    if (key instanceof Error) return key
    const invoice = await findLocalInvoice(args.paymentRequest)
    if (invoice instanceof Error) return invoice

    // Amounts: what the invoice asks for (sats), what the sender pays, what the recipient gets.
    let sats: number
    if (args.amount) {
      if (invoice.amountSats !== undefined) return new NoAmountInvoiceExpectedError("this invoice carries an amount: use lnInvoicePaymentSend")
      const value = checkedToMinorAmount(args.amount.value)
      if (value instanceof Error) return value
      if (args.amount.unit === "cents" && args.wallet.currency !== "USD") return new WrongWalletCurrencyError("this mutation needs a USD wallet")
      if (args.amount.unit === "sats" && args.wallet.currency !== "BTC") return new WrongWalletCurrencyError("this mutation needs a BTC wallet")
      sats = minorToSats(value, args.wallet.currency)
    } else {
      if (invoice.amountSats === undefined) return new AmountInvoiceExpectedError("this invoice has no amount: use lnNoAmountInvoicePaymentSend")
      sats = invoice.amountSats
    }

    // With a key the payment is bound to it before the invoice's state is read:
    // a replay of a paid request answers SUCCESS (its first result), not
    // ALREADY_PAID; a refusal below frees the key again, as nothing moved.
    const binding = await bindPaymentWith(ports, {
      accountId: args.wallet.accountId,
      key,
      request: {
        operation: args.amount ? "lnNoAmountInvoicePaymentSend" : "lnInvoicePaymentSend",
        senderWalletId: args.wallet.id,
        recipient: invoice.paymentHash,
        amount: args.amount ? sats : undefined,
        memo,
      },
    })
    if (binding instanceof Error) return binding
    if (binding.debited) {
      await finishReplayedTransfer(binding.transferId, { invoicePaid: Boolean(invoice.paidAt) })
      return "SUCCESS"
    }
    const refused = async <T>(outcome: T): Promise<T> => {
      await binding.release()
      return outcome
    }

    if (invoice.paidAt) return refused("ALREADY_PAID" as const)
    if (invoice.expiresAt.getTime() <= Date.now()) return refused(new InvoiceExpiredError("the invoice has expired"))
    if (invoice.walletId === args.wallet.id) return refused(new SelfPaymentError("a wallet cannot pay its own invoice"))

    const senderAmount = satsToMinor(sats, args.wallet.currency, "up")
    const recipientAmount = invoice.receiveAmount ?? satsToMinor(sats, invoice.currency, "down")
    if (senderAmount <= 0 || recipientAmount <= 0) return refused(new InvalidAmountError("amount is below one minor unit of a wallet"))

    const transferId = binding.transferId
    const claim = await invoices.claimSettlement({ paymentHash: invoice.paymentHash, transferId, payerWalletId: args.wallet.id })
    if (claim instanceof Error) return claim
    // A claim of our own transfer id is this very request, replayed while (or
    // after) its first attempt held the invoice: resume it.
    if (claim !== true && claim.transferId !== transferId) {
      return refused(claim.settledAt ? ("ALREADY_PAID" as const) : new PaymentInProgressError("this invoice is being paid"))
    }

    const done = await executeTransfer({
      transferId,
      kind: "invoice",
      sender: { walletId: args.wallet.id, currency: args.wallet.currency, amount: senderAmount },
      recipient: { walletId: invoice.walletId, currency: invoice.currency, amount: recipientAmount },
      memo: memo ?? invoice.memo,
      paymentHash: invoice.paymentHash,
      apiToken: args.apiToken,
    })
    if (done instanceof Error) {
      // The debit was refused: give the invoice back to other payers. (After a
      // storage error we cannot know; recovery releases the claim if no debit exists.)
      if (isRefusedBeforeDebit(done)) {
        await invoices.releaseSettlement(invoice.paymentHash, transferId)
        await binding.release()
      }
      return done
    }
    // The debit is the commit point; a failed credit is completed by recovery.
    if (done.credit instanceof Error) return "PENDING"
    await announceInvoicePaid(invoice.paymentHash, invoice.walletId, invoice.accountId)
    await announceIntraLedger(args.wallet.accountId, {
      type: "IntraLedgerUpdate",
      walletId: args.wallet.id,
      amount: senderAmount,
      txNotificationType: "IntraLedgerPayment",
    })
    return "SUCCESS"
  }

  /** The fee of paying an invoice: zero inside our node; unknown invoices are refused. */
  const probeInvoiceFee = async (args: { wallet: Wallet; paymentRequest: unknown }): Promise<number | Error> => {
    const invoice = await findLocalInvoice(args.paymentRequest)
    if (invoice instanceof Error) return invoice
    if (invoice.expiresAt.getTime() <= Date.now()) return new InvoiceExpiredError("the invoice has expired")
    if (invoice.walletId === args.wallet.id) return new SelfPaymentError("a wallet cannot pay its own invoice")
    return 0
  }

  const walletOfInvoice = async (invoice: WalletInvoice) => ports.accounts.findWalletById(invoice.walletId)

  return { findLocalInvoice, payInvoice, probeInvoiceFee, walletOfInvoice }
}
