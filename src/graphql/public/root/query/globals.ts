import type { GraphQLFieldConfig } from "graphql"
import { walletServices } from "@/app/wallet-services"
import type { GraphQLContext } from "@/graphql/context"
import { Globals, GlobalsSource } from "@/graphql/public/types/globals"

export const globalsQuery: GraphQLFieldConfig<unknown, GraphQLContext> = {
  type: Globals,
  resolve: (): GlobalsSource => {
    const { lightning } = walletServices()
    return { network: lightning.network, nodesIds: lightning.nodesIds(), lightningAddressDomain: "flash.local" }
  },
}
