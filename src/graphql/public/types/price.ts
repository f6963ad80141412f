// Flash's price types, fed by the fixed dev price (src/domain/payments/price.ts).
import {
  GraphQLEnumType,
  GraphQLID,
  GraphQLInt,
  GraphQLInterfaceType,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLString,
} from "graphql"
import { DEV_BTC_USD_PRICE, SATS_PER_BTC } from "@/domain/payments/price"
import { DisplayCurrency, SafeInt, Timestamp } from "./scalars"

export const PRICE_OFFSET = 12
export type PriceSource = { base: number; offset: number; currencyUnit: string }
export type RealtimePriceSource = {
  id: string
  timestamp: Date
  denominatorCurrency: string
  btcSatPrice: PriceSource
  usdCentPrice: PriceSource
}

/** Cents per sat and cents per cent, as Flash writes them: base / 10^offset. */
export const devRealtimePrice = (): RealtimePriceSource => ({
  id: "dev-fixed-price-USD",
  timestamp: new Date(),
  denominatorCurrency: "USD",
  btcSatPrice: {
    base: Math.round(((DEV_BTC_USD_PRICE * 100) / SATS_PER_BTC) * 10 ** PRICE_OFFSET),
    offset: PRICE_OFFSET,
    currencyUnit: "MINOR",
  },
  usdCentPrice: { base: 10 ** PRICE_OFFSET, offset: PRICE_OFFSET, currencyUnit: "MINOR" },
})

const priceFields = {
  base: { type: new GraphQLNonNull(SafeInt) },
  currencyUnit: { type: new GraphQLNonNull(GraphQLString), deprecationReason: "Deprecated due to type renaming" },
  offset: { type: new GraphQLNonNull(GraphQLInt) },
}

export const PriceInterface = new GraphQLInterfaceType({ name: "PriceInterface", fields: priceFields })

export const PriceOfOneSatInMinorUnit = new GraphQLObjectType<PriceSource>({
  name: "PriceOfOneSatInMinorUnit",
  interfaces: [PriceInterface],
  fields: priceFields,
})
export const PriceOfOneUsdCentInMinorUnit = new GraphQLObjectType<PriceSource>({
  name: "PriceOfOneUsdCentInMinorUnit",
  interfaces: [PriceInterface],
  fields: priceFields,
})
export const PriceOfOneSettlementMinorUnitInDisplayMinorUnit = new GraphQLObjectType<PriceSource>({
  name: "PriceOfOneSettlementMinorUnitInDisplayMinorUnit",
  interfaces: [PriceInterface],
  fields: {
    ...priceFields,
    formattedAmount: {
      type: new GraphQLNonNull(GraphQLString),
      deprecationReason: "Deprecated please use `base / 10^offset`",
      resolve: (p: PriceSource) => String(p.base / 10 ** p.offset),
    },
  },
})

export const RealtimePrice = new GraphQLObjectType<RealtimePriceSource>({
  name: "RealtimePrice",
  fields: {
    btcSatPrice: { type: new GraphQLNonNull(PriceOfOneSatInMinorUnit) },
    denominatorCurrency: { type: new GraphQLNonNull(DisplayCurrency) },
    id: { type: new GraphQLNonNull(GraphQLID) },
    timestamp: { type: new GraphQLNonNull(Timestamp) },
    usdCentPrice: { type: new GraphQLNonNull(PriceOfOneUsdCentInMinorUnit) },
  },
})

export const WalletCurrency = new GraphQLEnumType({
  name: "WalletCurrency",
  values: { BTC: {}, USD: {}, USDT: {} },
})
