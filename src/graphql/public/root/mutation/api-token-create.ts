import type { GraphQLFieldConfig } from "graphql"
import { GraphQLNonNull } from "graphql"
import { createApiToken, CreateApiTokenArgs } from "@/app/api-tokens/create-api-token"
import { apiTokensOf, GraphQLContext } from "@/graphql/context"
import { mapError } from "@/graphql/error-map"
import { ApiTokenCreateInput, ApiTokenCreatePayload } from "@/graphql/public/types/object/api-token"
import { managementCaller } from "../shared/management-caller"

type Input = Omit<CreateApiTokenArgs, "caller">

export const apiTokenCreateMutation: GraphQLFieldConfig<unknown, GraphQLContext, { input: Input }> = {
  type: new GraphQLNonNull(ApiTokenCreatePayload),
  description: "Creates an API token (an OAuth2 client). User sessions only. The client secret is returned only here.",
  args: { input: { type: new GraphQLNonNull(ApiTokenCreateInput) } },
  resolve: async (_src, { input }, ctx) => {
    const r = await createApiToken({ ...input, caller: managementCaller(ctx) }, apiTokensOf(ctx))
    if (r instanceof Error) return { errors: [mapError(r, ctx.logger)], apiToken: null }
    return { errors: [], apiToken: r }
  },
}
