// Every Subscription field of the public schema, one file each.
import type { GraphQLFieldConfigMap } from "graphql"
import type { GraphQLContext } from "@/graphql/context"

export const subscriptionFields: GraphQLFieldConfigMap<unknown, GraphQLContext> = {}
