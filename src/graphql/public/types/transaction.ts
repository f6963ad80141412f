// Flash's Transaction and its connection, built from ledger entries (one
// transaction per wallet side of a payment, as in Flash).
import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLID,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLString,
  GraphQLUnionType,
} from "graphql"
import { satsToCentsFloor } from "@/domain/payments/price"
import type { LedgerEntry } from "@/domain/wallets/ledger"
import { PRICE_OFFSET, PriceOfOneSettlementMinorUnitInDisplayMinorUnit, PriceSource, WalletCurrency, devRealtimePrice } from "./price"
import {
  DisplayCurrency,
  LnPaymentPreImage,
  LnPaymentSecret,
  Memo,
  PaymentHash,
  SignedAmount,
  SignedDisplayMajorAmount,
  Timestamp,
  Username,
  WalletId,
} from "./scalars"

export const TxDirection = new GraphQLEnumType({ name: "TxDirection", values: { RECEIVE: {}, SEND: {} } })
export const TxStatus = new GraphQLEnumType({ name: "TxStatus", values: { FAILURE: {}, PENDING: {}, SUCCESS: {} } })

type Via = { __typename: string; entry: LedgerEntry }

const SettlementViaIntraLedger = new GraphQLObjectType<Via>({
  name: "SettlementViaIntraLedger",
  fields: {
    counterPartyUsername: { type: Username, resolve: () => null },
    counterPartyWalletId: { type: WalletId, resolve: (v) => v.entry.counterpartyWalletId ?? null },
  },
})
const SettlementViaLn = new GraphQLObjectType<Via>({
  name: "SettlementViaLn",
  fields: {
    paymentSecret: {
      type: LnPaymentSecret,
      deprecationReason: "Shifting property to 'preImage' to improve granularity of the LnPaymentSecret type",
      resolve: () => null,
    },
    preImage: { type: LnPaymentPreImage, resolve: () => null },
  },
})
const InitiationViaIntraLedger = new GraphQLObjectType<Via>({
  name: "InitiationViaIntraLedger",
  fields: {
    counterPartyUsername: { type: Username, resolve: () => null },
    counterPartyWalletId: { type: WalletId, resolve: (v) => v.entry.counterpartyWalletId ?? null },
  },
})
const InitiationViaLn = new GraphQLObjectType<Via>({
  name: "InitiationViaLn",
  fields: { paymentHash: { type: new GraphQLNonNull(PaymentHash), resolve: (v) => v.entry.paymentHash } },
})

export const SettlementVia = new GraphQLUnionType({
  name: "SettlementVia",
  types: [SettlementViaIntraLedger, SettlementViaLn],
  resolveType: (v: Via) => v.__typename,
})
export const InitiationVia = new GraphQLUnionType({
  name: "InitiationVia",
  types: [InitiationViaIntraLedger, InitiationViaLn],
  resolveType: (v: Via) => v.__typename,
})

/** Display amounts are USD major units at the dev price. */
const displayMajor = (e: LedgerEntry) => {
  const cents = e.currency === "USD" ? e.amount : Math.sign(e.amount) * satsToCentsFloor(Math.abs(e.amount))
  return (cents / 100).toFixed(2)
}
const settlementPrice = (e: LedgerEntry): PriceSource =>
  e.currency === "USD"
    ? { base: 10 ** PRICE_OFFSET, offset: PRICE_OFFSET, currencyUnit: "MINOR" }
    : devRealtimePrice().btcSatPrice

export const Transaction = new GraphQLObjectType<LedgerEntry>({
  name: "Transaction",
  description: "Give details about an individual transaction.",
  fields: () => ({
    createdAt: { type: new GraphQLNonNull(Timestamp) },
    direction: { type: new GraphQLNonNull(TxDirection) },
    id: { type: new GraphQLNonNull(GraphQLID) },
    initiationVia: {
      type: new GraphQLNonNull(InitiationVia),
      description: "From which protocol the payment has been initiated.",
      resolve: (e) => ({ __typename: e.kind === "intraledger" ? "InitiationViaIntraLedger" : "InitiationViaLn", entry: e }),
    },
    memo: { type: Memo, resolve: (e) => e.memo ?? null },
    settlementAmount: {
      type: new GraphQLNonNull(SignedAmount),
      description: "Amount of the settlement currency sent or received.",
      resolve: (e) => e.amount,
    },
    settlementCurrency: { type: new GraphQLNonNull(WalletCurrency), resolve: (e) => e.currency },
    settlementDisplayAmount: { type: new GraphQLNonNull(SignedDisplayMajorAmount), resolve: displayMajor },
    settlementDisplayCurrency: { type: new GraphQLNonNull(DisplayCurrency), resolve: () => "USD" },
    settlementDisplayFee: { type: new GraphQLNonNull(SignedDisplayMajorAmount), resolve: () => "0.00" },
    settlementFee: { type: new GraphQLNonNull(SignedAmount), resolve: () => 0 },
    settlementPrice: { type: new GraphQLNonNull(PriceOfOneSettlementMinorUnitInDisplayMinorUnit), resolve: settlementPrice },
    settlementVia: {
      type: new GraphQLNonNull(SettlementVia),
      description: "To which protocol the payment has settled on.",
      resolve: (e) => ({ __typename: e.kind === "external" ? "SettlementViaLn" : "SettlementViaIntraLedger", entry: e }),
    },
    status: { type: new GraphQLNonNull(TxStatus), resolve: () => "SUCCESS" },
  }),
})

export type ConnectionSource = { entries: LedgerEntry[]; hasNextPage: boolean; hasPreviousPage: boolean }

const PageInfo = new GraphQLObjectType<ConnectionSource>({
  name: "PageInfo",
  description: "Information about pagination in a connection.",
  fields: {
    endCursor: { type: GraphQLString, resolve: (c) => c.entries.at(-1)?.id ?? null },
    hasNextPage: { type: new GraphQLNonNull(GraphQLBoolean) },
    hasPreviousPage: { type: new GraphQLNonNull(GraphQLBoolean) },
    startCursor: { type: GraphQLString, resolve: (c) => c.entries[0]?.id ?? null },
  },
})

const TransactionEdge = new GraphQLObjectType<LedgerEntry>({
  name: "TransactionEdge",
  description: "An edge in a connection.",
  fields: {
    cursor: { type: new GraphQLNonNull(GraphQLString), resolve: (e) => e.id },
    node: { type: new GraphQLNonNull(Transaction), resolve: (e) => e },
  },
})

export const TransactionConnection = new GraphQLObjectType<ConnectionSource>({
  name: "TransactionConnection",
  description: "A connection to a list of items.",
  fields: {
    edges: { type: new GraphQLList(new GraphQLNonNull(TransactionEdge)), resolve: (c) => c.entries },
    pageInfo: { type: new GraphQLNonNull(PageInfo), resolve: (c) => c },
  },
})
