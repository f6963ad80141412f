import type { GraphQLFieldConfig } from "graphql"
import { GraphQLContext, walletOf } from "@/graphql/context"
import { Globals, GlobalsSource } from "@/graphql/public/types/globals"

export const globalsQuery: GraphQLFieldConfig<unknown, GraphQLContext> = {
  type: Globals,
  resolve: (_root, _args, ctx): GlobalsSource => {
    const { lightning } = walletOf(ctx)
    return { network: lightning.network, nodesIds: lightning.nodesIds(), lightningAddressDomain: "flash.local" }
  },
}
