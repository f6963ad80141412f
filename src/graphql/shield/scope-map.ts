// The one place that says who may call each root field of the public schema.
//   public        anyone, no authentication
//   read          user sessions; API tokens with `read`
//   receive       user sessions; API tokens with `receive` or `write`
//   write         user sessions; API tokens with `write`
//   session-only  user sessions only; never an API token (token management,
//                 profile, login/identity)
// A field missing here is denied to everyone by shield's fallback rule, and
// test/unit/scope-map.test.ts fails until it is added.
export type FieldAccess = "public" | "read" | "receive" | "write" | "session-only"

export const scopeMap = {
  Query: {
    globals: "public",
    apiTokens: "session-only",
  },
  Mutation: {
    apiTokenCreate: "session-only",
    apiTokenRevoke: "session-only",
    apiTokenRotate: "session-only",
  },
  Subscription: {},
} satisfies Record<"Query" | "Mutation" | "Subscription", Record<string, FieldAccess>>
