import type { GraphQLFieldConfig } from "graphql"
import { GraphQLError, GraphQLList, GraphQLNonNull } from "graphql"
import { listApiTokens } from "@/app/api-tokens/list-api-tokens"
import { apiTokensOf, GraphQLContext } from "@/graphql/context"
import { mapError } from "@/graphql/error-map"
import { ApiTokenObject } from "@/graphql/public/types/object/api-token"
import { managementCaller } from "../shared/management-caller"

export const apiTokensQuery: GraphQLFieldConfig<unknown, GraphQLContext> = {
  type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(ApiTokenObject))),
  description: "The account's API tokens, newest first. User sessions only. Never any secret.",
  resolve: async (_src, _args, ctx) => {
    const r = await listApiTokens(managementCaller(ctx), apiTokensOf(ctx))
    if (r instanceof Error) {
      const m = mapError(r, ctx.logger)
      throw new GraphQLError(m.message, { extensions: { code: m.code } })
    }
    return r
  },
}
