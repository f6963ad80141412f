// Every Query field of the public schema, one file each.
import type { GraphQLFieldConfigMap } from "graphql"
import type { GraphQLContext } from "@/graphql/context"
import { apiTokensQuery } from "./api-tokens"
import { globalsQuery } from "./globals"

export const queryFields: GraphQLFieldConfigMap<unknown, GraphQLContext> = {
  globals: globalsQuery,
  apiTokens: apiTokensQuery,
}
