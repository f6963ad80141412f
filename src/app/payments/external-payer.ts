// The sandbox's external payer (POST /dev/lightning/pay): someone outside our
// node pays one of our invoices. Only the receiving side touches our ledger:
// a credit keyed by the payment hash, after claiming the invoice, so a payer
// that retries (or races another) credits it once.
import { randomUUID } from "node:crypto"
import {
  AmountInvoiceExpectedError,
  checkedToSatoshis,
  InvalidAmountError,
  InvoiceExpiredError,
  MAX_AMOUNT,
  NoAmountInvoiceExpectedError,
  PaymentInProgressError,
} from "@/domain/wallets"
import { satsToMinor } from "@/domain/payments/price"
import { createInvoicePayments } from "./pay-invoice"
import type { PaymentPorts } from "./ports"
import { createTransfers } from "./transfer"

/** The sandbox's external payer, over the given ports. */
export const createExternalPayer = (ports: PaymentPorts) => {
  const { findLocalInvoice } = createInvoicePayments(ports)
  const { announceInvoicePaid } = createTransfers(ports)

  /**
   * `amountSats` (for a no-amount invoice only) passes the same amount rule as a
   * real payment (checkedToSatoshis: a positive whole number up to 21M BTC), and
   * the credit may not raise the wallet above that either: the sandbox mints
   * money, and a balance past 2^53 would no longer be exact.
   */
  const payAsExternalPayer = async (
    paymentRequest: unknown,
    amountSats?: unknown,
  ): Promise<{ status: "PAID" | "ALREADY_PAID"; paymentHash: string; preimage: string } | Error> => {
    const invoice = await findLocalInvoice(paymentRequest)
    if (invoice instanceof Error) return invoice
    if (invoice.paidAt) return { status: "ALREADY_PAID", paymentHash: invoice.paymentHash, preimage: invoice.preimage }
    if (invoice.expiresAt.getTime() <= Date.now()) return new InvoiceExpiredError("the invoice has expired")
    let sats: number
    if (invoice.amountSats !== undefined) {
      if (amountSats !== undefined && amountSats !== null) return new NoAmountInvoiceExpectedError("this invoice carries its amount: send no amountSats")
      sats = invoice.amountSats
    } else {
      if (amountSats === undefined || amountSats === null) return new AmountInvoiceExpectedError("a no-amount invoice needs amountSats")
      const checked = checkedToSatoshis(amountSats)
      if (checked instanceof Error) return checked
      sats = checked
    }
    const amount = invoice.receiveAmount ?? satsToMinor(sats, invoice.currency, "down")
    if (amount <= 0) return new InvalidAmountError("amount is below one minor unit of the receiving wallet")

    const transferId = `ext-${randomUUID()}`
    const claim = await ports.invoices.claimSettlement({ paymentHash: invoice.paymentHash, transferId, payerWalletId: undefined })
    if (claim instanceof Error) return claim
    if (claim !== true) {
      if (claim.settledAt) return { status: "ALREADY_PAID", paymentHash: invoice.paymentHash, preimage: invoice.preimage }
      return new PaymentInProgressError("this invoice is being paid")
    }
    const credit = await ports.ledger.append(
      {
        walletId: invoice.walletId,
        amount,
        entryKey: `credit:${transferId}`,
        transferId,
        kind: "external",
        currency: invoice.currency,
        memo: invoice.memo,
        paymentHash: invoice.paymentHash,
      },
      { maxBalance: MAX_AMOUNT },
    )
    if (credit instanceof InvalidAmountError) await ports.invoices.releaseSettlement(invoice.paymentHash, transferId)
    // On a storage error the claim stays: recovery releases it if no credit was written.
    if (credit instanceof Error) return credit
    await announceInvoicePaid(invoice.paymentHash, invoice.walletId, invoice.accountId)
    return { status: "PAID", paymentHash: invoice.paymentHash, preimage: invoice.preimage }
  }

  return { payAsExternalPayer }
}
