// Collections of the wallet ledger and of invoices.
//
// ledger_entries is append-only. Each entry carries (walletId, version) —
// also its `_id`, `<walletId>:<version, 12 digits>` — under a unique index and
// the wallet's running balance after it, so a balance is the newest entry,
// found by lookups by id (see ledger.ts), and two concurrent writers of the
// same wallet cannot both win version N+1 (FerretDB has no transactions and its
// conditional updates are not atomic; a unique index is). `entryKey` (unique) names what the entry
// does, e.g. "debit:<transferId>", so a retried step can never apply twice.
import mongoose, { Schema } from "mongoose"

const LedgerEntrySchema = new Schema(
  {
    _id: { type: String, required: true },
    walletId: { type: String, required: true },
    version: { type: Number, required: true },
    /** signed, minor units of the wallet's currency */
    amount: { type: Number, required: true },
    balance: { type: Number, required: true },
    entryKey: { type: String, required: true, unique: true },
    transferId: { type: String, required: true, index: true },
    kind: { type: String, enum: ["invoice", "intraledger", "external"], required: true },
    direction: { type: String, enum: ["SEND", "RECEIVE"], required: true },
    currency: { type: String, enum: ["BTC", "USD"], required: true },
    memo: { type: String },
    paymentHash: { type: String },
    counterpartyWalletId: { type: String },
    /** On a debit: what the matching credit must be, so a crash after the debit can be completed. */
    creditAmount: { type: Number },
    createdAt: { type: Date, required: true },
    /** createdAt's five minutes (time-buckets.ts): the transfer repair's lookup of recent entries. */
    repairBucket: { type: String, index: true },
  },
  { versionKey: false },
)
LedgerEntrySchema.index({ walletId: 1, version: 1 }, { unique: true })
LedgerEntrySchema.index({ walletId: 1, createdAt: -1 })

const WalletInvoiceSchema = new Schema(
  {
    _id: { type: String, required: true }, // payment hash
    paymentRequest: { type: String, required: true },
    walletId: { type: String, required: true, index: true },
    accountId: { type: String, required: true },
    currency: { type: String, enum: ["BTC", "USD"], required: true },
    /** undefined for a no-amount invoice */
    amountSats: { type: Number },
    /** what the receiving wallet gets, in its minor unit; fixed for USD invoices */
    receiveAmount: { type: Number },
    memo: { type: String },
    paymentSecret: { type: String, required: true },
    preimage: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
    paidAt: { type: Date },
  },
  { versionKey: false },
)

// One settlement per invoice: the unique _id (the payment hash) is what makes
// "an invoice is paid at most once" hold under concurrent payers.
const InvoiceSettlementSchema = new Schema(
  {
    _id: { type: String, required: true },
    transferId: { type: String, required: true },
    payerWalletId: { type: String },
    createdAt: { type: Date, required: true },
    /** createdAt's five minutes (time-buckets.ts): the transfer repair's lookup of recent claims. */
    repairBucket: { type: String, index: true },
    settledAt: { type: Date },
  },
  { versionKey: false },
)

export const LedgerEntryModel = mongoose.model("LedgerEntry", LedgerEntrySchema, "ledger_entries")
export const WalletInvoiceModel = mongoose.model("WalletInvoice", WalletInvoiceSchema, "wallet_invoices")
export const InvoiceSettlementModel = mongoose.model("InvoiceSettlement", InvoiceSettlementSchema, "invoice_settlements")
