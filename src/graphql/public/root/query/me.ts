import type { GraphQLFieldConfig } from "graphql"
import type { GraphQLContext } from "@/graphql/context"
import { requireAccount } from "@/graphql/authz"
import { User } from "@/graphql/public/types/account"

export const meQuery: GraphQLFieldConfig<unknown, GraphQLContext> = {
  type: User,
  resolve: (_root, _args, ctx) => requireAccount(ctx),
}
