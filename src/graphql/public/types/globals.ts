// `Globals` and `Network`, named and shaped as in Flash's public schema (a subset).
import { GraphQLEnumType, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLString } from "graphql"

export const Network = new GraphQLEnumType({
  name: "Network",
  values: { mainnet: {}, regtest: {}, signet: {}, testnet: {} },
})

export type GlobalsSource = { network: string; nodesIds: string[]; lightningAddressDomain: string }

export const Globals = new GraphQLObjectType<GlobalsSource>({
  name: "Globals",
  description: "Provides global settings for the application which might have an impact for the user.",
  fields: {
    network: {
      type: new GraphQLNonNull(Network),
      description: "Which network (mainnet, testnet, regtest, signet) this instance is running on.",
    },
    nodesIds: {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(GraphQLString))),
      description: "A list of public keys for the running lightning nodes.",
    },
    lightningAddressDomain: {
      type: new GraphQLNonNull(GraphQLString),
      description: "The domain name for lightning addresses accepted by this instance",
    },
  },
})
