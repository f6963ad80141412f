import type { GraphQLFieldConfig } from "graphql"
import { GraphQLNonNull } from "graphql"
import { revokeApiToken } from "@/app/api-tokens/revoke-api-token"
import { apiTokensOf, GraphQLContext } from "@/graphql/context"
import { mapError } from "@/graphql/error-map"
import { ApiTokenRevokeInput, ApiTokenRevokePayload } from "@/graphql/public/types/object/api-token"
import { managementCaller } from "../shared/management-caller"

export const apiTokenRevokeMutation: GraphQLFieldConfig<unknown, GraphQLContext, { input: { id: string } }> = {
  type: new GraphQLNonNull(ApiTokenRevokePayload),
  description: "Revokes an API token at once (idempotent). User sessions only.",
  args: { input: { type: new GraphQLNonNull(ApiTokenRevokeInput) } },
  resolve: async (_src, { input }, ctx) => {
    const r = await revokeApiToken({ caller: managementCaller(ctx), id: input.id }, apiTokensOf(ctx))
    if (r instanceof Error) return { errors: [mapError(r, ctx.logger)], apiToken: null }
    return { errors: [], apiToken: r }
  },
}
