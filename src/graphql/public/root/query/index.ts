// Every Query field of the public schema, one file each.
import type { GraphQLFieldConfigMap } from "graphql"
import type { GraphQLContext } from "@/graphql/context"
import { globalsQuery } from "./globals"

export const queryFields: GraphQLFieldConfigMap<unknown, GraphQLContext> = {
  globals: globalsQuery,
}
