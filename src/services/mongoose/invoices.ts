// Invoices issued by our node and the one-settlement-per-invoice record.
import type { AccountId, WalletCurrency, WalletId } from "@/domain/accounts"
import { UnknownRepositoryError } from "@/domain/shared/errors"
import { InvoiceNotFoundError } from "@/domain/wallets"
import type { WalletInvoice } from "@/domain/wallets/invoice"
import { isDuplicateKeyError } from "./connection"
import { InvoiceSettlementModel, WalletInvoiceModel } from "./ledger-schema"
import { bucketOf, findInBuckets, REPAIR_BUCKET_MS } from "./time-buckets"

export type InvoiceSettlement = {
  paymentHash: string
  transferId: string
  payerWalletId: WalletId | undefined
  createdAt: Date
  settledAt: Date | undefined
}

type Doc = Record<string, unknown>
const toInvoice = (d: Doc): WalletInvoice => ({
  paymentHash: d._id as string,
  paymentRequest: d.paymentRequest as string,
  walletId: d.walletId as WalletId,
  accountId: d.accountId as AccountId,
  currency: d.currency as WalletCurrency,
  amountSats: (d.amountSats as number | null | undefined) ?? undefined,
  receiveAmount: (d.receiveAmount as number | null | undefined) ?? undefined,
  memo: (d.memo as string | null | undefined) ?? undefined,
  paymentSecret: d.paymentSecret as string,
  preimage: d.preimage as string,
  expiresAt: d.expiresAt as Date,
  createdAt: d.createdAt as Date,
  paidAt: (d.paidAt as Date | null | undefined) ?? undefined,
})
const toSettlement = (d: Doc): InvoiceSettlement => ({
  paymentHash: d._id as string,
  transferId: d.transferId as string,
  payerWalletId: (d.payerWalletId as WalletId | null | undefined) ?? undefined,
  createdAt: d.createdAt as Date,
  settledAt: (d.settledAt as Date | null | undefined) ?? undefined,
})
const unknown = (e: unknown) => new UnknownRepositoryError(e instanceof Error ? e.message : String(e))

export const InvoicesRepository = () => {
  const persist = async (invoice: Omit<WalletInvoice, "paidAt">): Promise<WalletInvoice | UnknownRepositoryError> => {
    try {
      const { paymentHash, ...rest } = invoice
      await WalletInvoiceModel.create({ _id: paymentHash, ...rest })
      return { ...invoice, paidAt: undefined }
    } catch (e) {
      return unknown(e)
    }
  }

  const findByPaymentHash = async (
    paymentHash: string,
  ): Promise<WalletInvoice | InvoiceNotFoundError | UnknownRepositoryError> => {
    try {
      const d = await WalletInvoiceModel.findById(paymentHash).lean<Doc>()
      return d ? toInvoice(d) : new InvoiceNotFoundError("no invoice with this payment hash on our node")
    } catch (e) {
      return unknown(e)
    }
  }

  /** Setting a date is idempotent: a repeated or concurrent call changes nothing that matters. */
  const markPaid = async (paymentHash: string): Promise<true | UnknownRepositoryError> => {
    try {
      await WalletInvoiceModel.updateOne({ _id: paymentHash, paidAt: { $exists: false } }, { $set: { paidAt: new Date() } })
      return true
    } catch (e) {
      return unknown(e)
    }
  }

  /** Claims the invoice for one transfer; false when another transfer holds it already. */
  const claimSettlement = async (
    s: Omit<InvoiceSettlement, "createdAt" | "settledAt">,
  ): Promise<true | InvoiceSettlement | UnknownRepositoryError> => {
    try {
      const createdAt = new Date()
      await InvoiceSettlementModel.create({
        _id: s.paymentHash,
        transferId: s.transferId,
        payerWalletId: s.payerWalletId,
        createdAt,
        repairBucket: bucketOf(createdAt, REPAIR_BUCKET_MS),
      })
      return true
    } catch (e) {
      if (!isDuplicateKeyError(e)) return unknown(e)
      const d = await InvoiceSettlementModel.findById(s.paymentHash).lean<Doc>().catch(() => null)
      return d ? toSettlement(d) : new UnknownRepositoryError("settlement vanished")
    }
  }

  /** Releases a claim whose debit never happened (only the transfer holding it may). */
  const releaseSettlement = async (paymentHash: string, transferId: string): Promise<true | UnknownRepositoryError> => {
    try {
      await InvoiceSettlementModel.deleteOne({ _id: paymentHash, transferId })
      return true
    } catch (e) {
      return unknown(e)
    }
  }

  const markSettled = async (paymentHash: string): Promise<true | UnknownRepositoryError> => {
    try {
      await InvoiceSettlementModel.updateOne({ _id: paymentHash }, { $set: { settledAt: new Date() } })
      return true
    } catch (e) {
      return unknown(e)
    }
  }

  /** Claims made in [newerThan, olderThan) and not settled (at most 1000), by repair buckets (time-buckets.ts). */
  const unsettledClaims = async (window: { newerThan: Date; olderThan: Date }): Promise<InvoiceSettlement[] | UnknownRepositoryError> => {
    try {
      const docs = await findInBuckets(
        { from: window.newerThan, to: window.olderThan, sizeMs: REPAIR_BUCKET_MS },
        (repairBucket) => InvoiceSettlementModel.find({ repairBucket }).lean<Doc[]>(),
        () => InvoiceSettlementModel.find({ settledAt: { $exists: false }, createdAt: { $gte: window.newerThan, $lt: window.olderThan } }).lean<Doc[]>(),
      )
      return docs
        .filter((d) => !d.settledAt && (d.createdAt as Date) >= window.newerThan && (d.createdAt as Date) < window.olderThan)
        .slice(0, 1000)
        .map(toSettlement)
    } catch (e) {
      return unknown(e)
    }
  }

  return { persist, findByPaymentHash, markPaid, claimSettlement, releaseSettlement, markSettled, unsettledClaims }
}
