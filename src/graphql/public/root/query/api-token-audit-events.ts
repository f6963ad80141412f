import type { GraphQLFieldConfig } from "graphql"
import { GraphQLError, GraphQLID, GraphQLInt, GraphQLList, GraphQLNonNull } from "graphql"
import { listApiTokenAuditEvents } from "@/app/audit"
import type { GraphQLContext } from "@/graphql/context"
import { mapError } from "@/graphql/error-map"
import { ApiTokenAuditEventObject } from "@/graphql/public/types/object/api-token-audit-event"
import { managementCaller } from "../shared/management-caller"

export const apiTokenAuditEventsQuery: GraphQLFieldConfig<unknown, GraphQLContext, { tokenId?: string | null; first?: number | null }> = {
  type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(ApiTokenAuditEventObject))),
  description: "The audit trail of the account's API tokens (optionally one token's), newest first, at most `first` (default 50, max 500). User sessions only.",
  args: { tokenId: { type: GraphQLID }, first: { type: GraphQLInt } },
  resolve: async (_src, args, ctx) => {
    const r = await listApiTokenAuditEvents(managementCaller(ctx), args)
    if (r instanceof Error) {
      const m = mapError(r, ctx.logger)
      throw new GraphQLError(m.message, { extensions: { code: m.code } })
    }
    return r
  },
}
