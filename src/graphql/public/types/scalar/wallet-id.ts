// `WalletId`, as in Flash's public schema: a wallet's unique identifier (a UUID string).
import { GraphQLError, GraphQLScalarType, Kind } from "graphql"
import { checkedToWalletId } from "@/domain/accounts"

const parse = (v: unknown) => {
  const id = checkedToWalletId(v)
  if (id instanceof Error) throw new GraphQLError("Invalid value for WalletId", { extensions: { code: "INVALID_WALLET_ID" } })
  return id
}

export const WalletIdScalar = new GraphQLScalarType({
  name: "WalletId",
  description: "Unique identifier of a wallet",
  serialize: (v) => String(v),
  parseValue: parse,
  parseLiteral: (ast) => (ast.kind === Kind.STRING ? parse(ast.value) : parse(undefined)),
})
