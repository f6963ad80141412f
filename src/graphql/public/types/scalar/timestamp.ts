// `Timestamp`, as in Flash's public schema: Unix time in seconds.
import { GraphQLScalarType } from "graphql"

export const TimestampScalar = new GraphQLScalarType({
  name: "Timestamp",
  description: "Timestamp field, serialized as Unix time (the number of seconds since the Unix epoch)",
  serialize: (v) => (v instanceof Date ? Math.floor(v.getTime() / 1000) : v),
  parseValue: (v) => new Date(Number(v) * 1000),
})
