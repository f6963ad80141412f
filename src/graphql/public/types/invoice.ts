// Flash's invoice, payment and status payloads (same names and shapes).
import {
  GraphQLEnumType,
  GraphQLFloat,
  GraphQLInputObjectType,
  GraphQLInputType,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLString,
  GraphQLUnionType,
} from "graphql"
import type { WalletInvoice } from "@/domain/wallets/invoice"
import type { GraphQLContext } from "@/graphql/context"
import { ErrorsField } from "./error"
import { User } from "./account"
import {
  FractionalCentAmount,
  LnPaymentRequest,
  LnPaymentSecret,
  Memo,
  Minutes,
  PaymentHash,
  SatAmount,
  WalletId,
} from "./scalars"

export const InvoicePaymentStatus = new GraphQLEnumType({
  name: "InvoicePaymentStatus",
  values: { EXPIRED: {}, PAID: {}, PENDING: {} },
})

export const PaymentSendResult = new GraphQLEnumType({
  name: "PaymentSendResult",
  values: { ALREADY_PAID: {}, FAILURE: {}, PENDING: {}, SUCCESS: {} },
})

export const LnInvoice = new GraphQLObjectType<WalletInvoice>({
  name: "LnInvoice",
  fields: {
    paymentHash: { type: new GraphQLNonNull(PaymentHash) },
    paymentRequest: { type: new GraphQLNonNull(LnPaymentRequest) },
    paymentSecret: { type: new GraphQLNonNull(LnPaymentSecret) },
    satoshis: { type: SatAmount, resolve: (i) => i.amountSats ?? null },
  },
})
export const LnNoAmountInvoice = new GraphQLObjectType<WalletInvoice>({
  name: "LnNoAmountInvoice",
  fields: {
    paymentHash: { type: new GraphQLNonNull(PaymentHash) },
    paymentRequest: { type: new GraphQLNonNull(LnPaymentRequest) },
    paymentSecret: { type: new GraphQLNonNull(LnPaymentSecret) },
  },
})

export const LnInvoicePayload = new GraphQLObjectType({
  name: "LnInvoicePayload",
  fields: { errors: ErrorsField, invoice: { type: LnInvoice } },
})
export const LnNoAmountInvoicePayload = new GraphQLObjectType({
  name: "LnNoAmountInvoicePayload",
  fields: { errors: ErrorsField, invoice: { type: LnNoAmountInvoice } },
})
export const PaymentSendPayload = new GraphQLObjectType({
  name: "PaymentSendPayload",
  fields: { errors: ErrorsField, status: { type: PaymentSendResult } },
})
export const SatAmountPayload = new GraphQLObjectType({
  name: "SatAmountPayload",
  fields: { amount: { type: SatAmount }, errors: ErrorsField },
})
export const LnInvoicePaymentStatusPayload = new GraphQLObjectType({
  name: "LnInvoicePaymentStatusPayload",
  fields: { errors: ErrorsField, status: { type: InvoicePaymentStatus } },
})

const input = (name: string, fields: Record<string, { type: GraphQLInputType; description?: string }>) =>
  new GraphQLNonNull(new GraphQLInputObjectType({ name, fields }))

const expiresIn = { type: Minutes, description: "Optional invoice expiration time in minutes." }
const memo = { type: Memo, description: "Optional memo for the lightning invoice." }
const idempotencyKey = {
  type: GraphQLString,
  description:
    "Optional client-supplied key, scoped to the sending account. A repeated send with the same key and the same parameters (wallet, recipient or invoice, amount, memo) returns the original result instead of paying again; the same key with any different parameter fails with IDEMPOTENCY_KEY_REUSED and sends nothing. A key whose payment was refused (nothing moved) may be used again.",
}

export const LnInvoiceCreateInput = input("LnInvoiceCreateInput", {
  amount: { type: new GraphQLNonNull(SatAmount), description: "Amount in satoshis." },
  expiresIn,
  memo,
  walletId: { type: new GraphQLNonNull(WalletId), description: "Wallet ID for a BTC wallet belonging to the current account." },
})
export const LnUsdInvoiceCreateInput = input("LnUsdInvoiceCreateInput", {
  amount: { type: new GraphQLNonNull(FractionalCentAmount), description: "Amount in USD cents." },
  expiresIn,
  memo,
  walletId: { type: new GraphQLNonNull(WalletId), description: "Wallet ID for a USD wallet belonging to the current user." },
})
export const LnNoAmountInvoiceCreateInput = input("LnNoAmountInvoiceCreateInput", {
  expiresIn,
  memo,
  walletId: {
    type: new GraphQLNonNull(WalletId),
    description: "ID for either a USD or BTC wallet belonging to the account of the current user.",
  },
})
export const LnInvoicePaymentInput = input("LnInvoicePaymentInput", {
  idempotencyKey,
  memo: { type: Memo, description: "Optional memo to associate with the lightning invoice." },
  paymentRequest: { type: new GraphQLNonNull(LnPaymentRequest), description: "Payment request representing the invoice which is being paid." },
  walletId: {
    type: new GraphQLNonNull(WalletId),
    description: "Wallet ID with sufficient balance to cover amount of invoice.  Must belong to the account of the current user.",
  },
})
export const LnNoAmountInvoicePaymentInput = input("LnNoAmountInvoicePaymentInput", {
  amount: { type: new GraphQLNonNull(SatAmount), description: "Amount to pay in satoshis." },
  idempotencyKey,
  memo: { type: Memo, description: "Optional memo to associate with the lightning invoice." },
  paymentRequest: { type: new GraphQLNonNull(LnPaymentRequest), description: "Payment request representing the invoice which is being paid." },
  walletId: { type: new GraphQLNonNull(WalletId) },
})
export const LnNoAmountUsdInvoicePaymentInput = input("LnNoAmountUsdInvoicePaymentInput", {
  amount: { type: new GraphQLNonNull(FractionalCentAmount), description: "Amount to pay in USD cents." },
  memo: { type: Memo, description: "Optional memo to associate with the lightning invoice." },
  paymentRequest: { type: new GraphQLNonNull(LnPaymentRequest), description: "Payment request representing the invoice which is being paid." },
  walletId: { type: new GraphQLNonNull(WalletId) },
})
export const IntraLedgerPaymentSendInput = input("IntraLedgerPaymentSendInput", {
  amount: { type: new GraphQLNonNull(SatAmount), description: "Amount in satoshis." },
  idempotencyKey,
  memo: { type: Memo, description: "Optional memo to be attached to the payment." },
  recipientWalletId: { type: new GraphQLNonNull(WalletId) },
  walletId: { type: new GraphQLNonNull(WalletId), description: "The wallet ID of the sender." },
})
export const LnInvoiceFeeProbeInput = input("LnInvoiceFeeProbeInput", {
  paymentRequest: { type: new GraphQLNonNull(LnPaymentRequest) },
  walletId: { type: new GraphQLNonNull(WalletId) },
})
export const LnInvoicePaymentStatusInput = input("LnInvoicePaymentStatusInput", {
  paymentRequest: { type: new GraphQLNonNull(LnPaymentRequest) },
})

// myUpdates (a subset of Flash's UserUpdate union).
export type UserUpdateSource =
  | { __typename: "LnUpdate"; walletId: string; paymentHash: string; status: string }
  | { __typename: "IntraLedgerUpdate"; walletId: string; amount: number; txNotificationType: string; usdPerSat: number }

const TxNotificationType = new GraphQLEnumType({
  name: "TxNotificationType",
  values: {
    IntraLedgerPayment: {},
    IntraLedgerReceipt: {},
    LnInvoicePaid: {},
    OnchainPayment: {},
    OnchainReceipt: {},
    OnchainReceiptPending: {},
  },
})
const LnUpdate = new GraphQLObjectType({
  name: "LnUpdate",
  fields: {
    paymentHash: { type: new GraphQLNonNull(PaymentHash) },
    status: { type: new GraphQLNonNull(InvoicePaymentStatus) },
    walletId: { type: new GraphQLNonNull(WalletId) },
  },
})
const IntraLedgerUpdate = new GraphQLObjectType<Extract<UserUpdateSource, { __typename: "IntraLedgerUpdate" }>>({
  name: "IntraLedgerUpdate",
  fields: {
    amount: { type: new GraphQLNonNull(SatAmount) },
    displayCurrencyPerSat: { type: new GraphQLNonNull(GraphQLFloat), resolve: (u) => u.usdPerSat * 100 },
    txNotificationType: { type: new GraphQLNonNull(TxNotificationType) },
    usdPerSat: { type: new GraphQLNonNull(GraphQLFloat), deprecationReason: "updated over displayCurrencyPerSat" },
    walletId: { type: new GraphQLNonNull(WalletId) },
  },
})
const UserUpdate = new GraphQLUnionType({
  name: "UserUpdate",
  types: [IntraLedgerUpdate, LnUpdate],
  resolveType: (u: UserUpdateSource) => u.__typename,
})
export const MyUpdatesPayload = new GraphQLObjectType<{ errors: unknown[]; me: unknown; update: UserUpdateSource | null }, GraphQLContext>({
  name: "MyUpdatesPayload",
  fields: { errors: ErrorsField, me: { type: User }, update: { type: UserUpdate } },
})

