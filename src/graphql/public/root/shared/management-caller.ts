// The GraphQL principal, as the API-token use cases see it (they re-check it: defence in depth).
import type { ManagementCaller } from "@/app/api-tokens/deps"
import type { GraphQLContext } from "@/graphql/context"

export const managementCaller = (ctx: GraphQLContext): ManagementCaller =>
  ctx.principal.kind === "user"
    ? { kind: "user", domainAccount: ctx.principal.domainAccount }
    : { kind: ctx.principal.kind }
