// The GraphQL principal, as the API-token use cases see it (they re-check it: defence in depth).
import type { ManagementCaller } from "@/app/api-tokens/deps"
import type { GraphQLContext } from "@/graphql/context"

export const managementCaller = (ctx: GraphQLContext): ManagementCaller => {
  const p = ctx.principal
  if (p.kind === "user") return { kind: "user", domainAccount: p.domainAccount, ip: ctx.ip }
  if (p.kind === "apiToken") return { kind: "apiToken", apiTokenId: p.apiTokenId, accountId: p.domainAccount.id, ip: ctx.ip }
  return { kind: "anonymous" }
}
