import { GraphQLError, GraphQLFieldConfig, GraphQLNonNull } from "graphql"
import type { GraphQLContext } from "@/graphql/context"
import { devRealtimePrice, RealtimePrice } from "@/graphql/public/types/price"
import { DisplayCurrency } from "@/graphql/public/types/scalars"

export const realtimePriceQuery: GraphQLFieldConfig<unknown, GraphQLContext, { currency?: string }> = {
  type: new GraphQLNonNull(RealtimePrice),
  description: "Returns 1 Sat and 1 Usd Cent price for the given currency",
  args: { currency: { type: DisplayCurrency, defaultValue: "USD" } },
  resolve: (_root, args) => {
    // The sandbox price feed is a fixed BTC/USD rate; no other display currency.
    if ((args.currency ?? "USD").toUpperCase() !== "USD") {
      throw new GraphQLError("Only USD is supported by this price feed", { extensions: { code: "UNSUPPORTED_CURRENCY" } })
    }
    return devRealtimePrice()
  },
}
