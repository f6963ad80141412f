// The public GraphQL schema, assembled from the root field maps.
import { GraphQLObjectType, GraphQLSchema } from "graphql"
import type { GraphQLContext } from "@/graphql/context"
import { queryFields } from "./root/query"

export const buildPublicSchema = () =>
  new GraphQLSchema({
    query: new GraphQLObjectType<unknown, GraphQLContext>({ name: "Query", fields: queryFields }),
  })
