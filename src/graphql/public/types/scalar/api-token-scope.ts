// `ApiTokenScope`: the strings "read", "receive", "write" (so `scopes: ["read", "write"]`
// works as written). Anything else is refused with code API_TOKEN_SCOPE_UNKNOWN.
import { GraphQLError, GraphQLScalarType, Kind } from "graphql"
import { checkedToApiTokenScope } from "@/domain/api-tokens"

const parse = (v: unknown) => {
  const s = checkedToApiTokenScope(v)
  if (s instanceof Error) throw new GraphQLError(s.message, { extensions: { code: "API_TOKEN_SCOPE_UNKNOWN" } })
  return s
}

export const ApiTokenScopeScalar = new GraphQLScalarType({
  name: "ApiTokenScope",
  description:
    'What an API token may do: "read" (account data, balances, transactions), "receive" (create invoices), "write" (send payments; includes receive)',
  serialize: (v) => String(v),
  parseValue: parse,
  parseLiteral: (ast) => parse(ast.kind === Kind.STRING ? ast.value : undefined),
})
