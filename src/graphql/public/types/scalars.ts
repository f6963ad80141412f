// Flash's scalars, same names. Input scalars hand the raw value to the
// resolver (as Flash's do), where the domain's checkedToX validators turn a bad
// value into a payload error with its own code instead of a schema error.
import { GraphQLScalarType, Kind, ValueNode } from "graphql"

const literal = (ast: ValueNode): unknown => {
  switch (ast.kind) {
    case Kind.INT:
      return parseInt(ast.value, 10)
    case Kind.FLOAT:
      return parseFloat(ast.value)
    case Kind.STRING:
      return ast.value
    case Kind.BOOLEAN:
      return ast.value
    default:
      return undefined
  }
}

const numberScalar = (name: string, description: string) =>
  new GraphQLScalarType({
    name,
    description,
    serialize: (v) => (typeof v === "number" ? v : Number(v)),
    parseValue: (v) => v,
    parseLiteral: literal,
  })

const stringScalar = (name: string, description?: string) =>
  new GraphQLScalarType({
    name,
    description,
    serialize: (v) => String(v),
    parseValue: (v) => v,
    parseLiteral: literal,
  })

export const SatAmount = numberScalar("SatAmount", "(Positive) Satoshi amount")
export const CentAmount = numberScalar("CentAmount", "(Positive) Cent amount (1/100 of a dollar)")
export const FractionalCentAmount = numberScalar(
  "FractionalCentAmount",
  "Cent amount (1/100 of a dollar) as a float, can be positive or negative",
)
export const SignedAmount = numberScalar("SignedAmount", "An amount (of a currency) that can be negative (e.g. in a transaction)")
export const SafeInt = numberScalar("SafeInt", "Non-fractional signed whole numeric value between -(2^53) + 1 and 2^53 - 1")
export const Minutes = numberScalar("Minutes", "(Positive) amount of minutes")
export const WalletId = stringScalar("WalletId", "Unique identifier of a wallet")
export const LnPaymentRequest = stringScalar("LnPaymentRequest", "BOLT11 lightning invoice payment request with the amount included")
export const PaymentHash = stringScalar("PaymentHash")
export const LnPaymentSecret = stringScalar("LnPaymentSecret")
export const LnPaymentPreImage = stringScalar("LnPaymentPreImage")
export const Memo = stringScalar("Memo", "Text field in a lightning payment transaction")
export const DisplayCurrency = stringScalar("DisplayCurrency", "Display currency of an account")
export const Username = stringScalar("Username", "Unique identifier of a user")
export const SignedDisplayMajorAmount = stringScalar(
  "SignedDisplayMajorAmount",
  "A string amount (of a currency) that can be negative (e.g. in a transaction)",
)

export const Timestamp = new GraphQLScalarType({
  name: "Timestamp",
  description: "Timestamp field, serialized as Unix time (the number of seconds since the Unix epoch)",
  serialize: (v) => Math.floor((v instanceof Date ? v.getTime() : Number(v)) / 1000),
  parseValue: (v) => new Date(Number(v) * 1000),
  parseLiteral: (ast) => (ast.kind === Kind.INT ? new Date(parseInt(ast.value, 10) * 1000) : undefined),
})
