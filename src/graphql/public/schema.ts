// The public GraphQL schema, assembled from the root field maps.
import { GraphQLFieldConfigMap, GraphQLObjectType, GraphQLSchema } from "graphql"
import type { GraphQLContext } from "@/graphql/context"
import { mutationFields } from "./root/mutation"
import { queryFields } from "./root/query"
import { subscriptionFields } from "./root/subscription"
import { BTCWallet, ConsumerAccount, UsdWallet } from "./types/account"
import { GraphQLApplicationError } from "./types/error"

const root = (name: string, fields: GraphQLFieldConfigMap<unknown, GraphQLContext>) =>
  Object.keys(fields).length ? new GraphQLObjectType<unknown, GraphQLContext>({ name, fields }) : undefined

export const buildPublicSchema = () =>
  new GraphQLSchema({
    query: root("Query", queryFields)!,
    mutation: root("Mutation", mutationFields),
    subscription: root("Subscription", subscriptionFields),
    // Implementations of interfaces that no field names directly.
    types: [GraphQLApplicationError, ConsumerAccount, BTCWallet, UsdWallet],
  })
