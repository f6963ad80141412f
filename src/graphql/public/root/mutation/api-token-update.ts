import type { GraphQLFieldConfig } from "graphql"
import { GraphQLNonNull } from "graphql"
import { updateApiToken, UpdateApiTokenArgs } from "@/app/api-tokens/update-api-token"
import { apiTokensOf, GraphQLContext } from "@/graphql/context"
import { mapError } from "@/graphql/error-map"
import { ApiTokenPayload, ApiTokenUpdateInput } from "@/graphql/public/types/object/api-token"
import { managementCaller } from "../shared/management-caller"

export const apiTokenUpdateMutation: GraphQLFieldConfig<unknown, GraphQLContext, { input: Omit<UpdateApiTokenArgs, "caller"> }> = {
  type: new GraphQLNonNull(ApiTokenPayload),
  description:
    "Changes an API token's scopes, wallets, IP allowlist or limits, keeping its credentials. Effective on every replica within a second. User sessions only.",
  args: { input: { type: new GraphQLNonNull(ApiTokenUpdateInput) } },
  resolve: async (_src, { input }, ctx) => {
    const r = await updateApiToken({ ...input, caller: managementCaller(ctx) }, apiTokensOf(ctx))
    if (r instanceof Error) return { errors: [mapError(r, ctx.logger)], apiToken: null }
    return { errors: [], apiToken: r }
  },
}
