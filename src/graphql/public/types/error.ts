// Flash's payload error shape: `errors: [Error!]!` beside the result.
import { GraphQLInterfaceType, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLString } from "graphql"

const fields = () => ({
  code: { type: GraphQLString },
  message: { type: new GraphQLNonNull(GraphQLString) },
  path: { type: new GraphQLList(GraphQLString) },
})

export const IError = new GraphQLInterfaceType({
  name: "Error",
  fields,
  resolveType: () => "GraphQLApplicationError",
})

export const GraphQLApplicationError = new GraphQLObjectType({
  name: "GraphQLApplicationError",
  interfaces: [IError],
  fields,
})

export const ErrorsField = { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(IError))) }
