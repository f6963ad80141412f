// Every Mutation field of the public schema, one file each.
import type { GraphQLFieldConfigMap } from "graphql"
import type { GraphQLContext } from "@/graphql/context"

import { apiTokenCreateMutation } from "./api-token-create"
import { apiTokenRevokeMutation } from "./api-token-revoke"
import { apiTokenRotateMutation } from "./api-token-rotate"

export const mutationFields: GraphQLFieldConfigMap<unknown, GraphQLContext> = {
  apiTokenCreate: apiTokenCreateMutation as GraphQLFieldConfigMap<unknown, GraphQLContext>[string],
  apiTokenRevoke: apiTokenRevokeMutation as GraphQLFieldConfigMap<unknown, GraphQLContext>[string],
  apiTokenRotate: apiTokenRotateMutation as GraphQLFieldConfigMap<unknown, GraphQLContext>[string],
}
