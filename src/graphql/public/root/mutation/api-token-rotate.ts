import type { GraphQLFieldConfig } from "graphql"
import { GraphQLNonNull } from "graphql"
import { rotateApiToken } from "@/app/api-tokens/rotate-api-token"
import { apiTokensOf, GraphQLContext } from "@/graphql/context"
import { mapError } from "@/graphql/error-map"
import { ApiTokenRotateInput, ApiTokenRotatePayload } from "@/graphql/public/types/object/api-token"
import { managementCaller } from "../shared/management-caller"

export const apiTokenRotateMutation: GraphQLFieldConfig<
  unknown,
  GraphQLContext,
  { input: { id: string; gracePeriodSeconds?: number | null } }
> = {
  type: new GraphQLNonNull(ApiTokenRotatePayload),
  description:
    "New credentials for an API token, shown once. With gracePeriodSeconds the old ones keep working until it ends. User sessions only.",
  args: { input: { type: new GraphQLNonNull(ApiTokenRotateInput) } },
  resolve: async (_src, { input }, ctx) => {
    const r = await rotateApiToken({ caller: managementCaller(ctx), id: input.id, gracePeriodSeconds: input.gracePeriodSeconds }, apiTokensOf(ctx))
    if (r instanceof Error) return { errors: [mapError(r, ctx.logger)], apiToken: null }
    return { errors: [], apiToken: r }
  },
}
