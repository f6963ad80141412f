// The status of one of the caller's invoices (Flash's lnInvoicePaymentStatus).
import type { WalletId } from "@/domain/accounts"
import { InvoiceNotFoundError } from "@/domain/wallets"
import type { WalletInvoice } from "@/domain/wallets/invoice"
import type { Payments } from "../payments"

export type InvoicePaymentStatus = "PENDING" | "PAID" | "EXPIRED"

export const statusOfInvoice = (invoice: WalletInvoice, now = Date.now()): InvoicePaymentStatus =>
  invoice.paidAt ? "PAID" : invoice.expiresAt.getTime() <= now ? "EXPIRED" : "PENDING"

/** Finds the invoice when it belongs to one of `visibleWalletIds`; others look unknown. */
export const findOwnInvoice = async (
  paymentRequest: unknown,
  visibleWalletIds: WalletId[],
  payments: Pick<Payments, "findLocalInvoice">,
): Promise<WalletInvoice | Error> => {
  const invoice = await payments.findLocalInvoice(paymentRequest)
  if (invoice instanceof Error) return invoice
  if (!visibleWalletIds.includes(invoice.walletId)) return new InvoiceNotFoundError("unknown invoice")
  return invoice
}
