import type { GraphQLFieldConfig } from "graphql"
import type { GraphQLContext } from "@/graphql/context"
import { Globals, GlobalsSource } from "@/graphql/public/types/globals"

export const globalsQuery: GraphQLFieldConfig<unknown, GraphQLContext> = {
  type: Globals,
  resolve: (): GlobalsSource => ({ network: "regtest", nodesIds: [], lightningAddressDomain: "flash.local" }),
}
