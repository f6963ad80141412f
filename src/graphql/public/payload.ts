// Turning domain errors into what Flash's clients read: `errors: [Error!]!`
// in a payload, or a GraphQL error with `extensions.code` for fields that
// have no payload. Both go through the one error map.
import { GraphQLError } from "graphql"
import type { GraphQLContext } from "@/graphql/context"
import { mapError } from "@/graphql/error-map"

export type PayloadError = { code: string; message: string; path?: string[] }

export const payloadErrors = (e: Error, ctx: GraphQLContext, path?: string[]): PayloadError[] => {
  const m = mapError(e, ctx.logger)
  return [{ code: m.code, message: m.message, ...(path ? { path } : {}) }]
}

export const asGraphQLError = (e: Error, ctx: GraphQLContext): GraphQLError => {
  if (e instanceof GraphQLError) return e
  const m = mapError(e, ctx.logger)
  return new GraphQLError(m.message, { extensions: { code: m.code } })
}
