// graphql-shield permissions generated from the scope map: one rule per access
// level, every root field named explicitly, and a fallback that denies any root
// field the map does not name. Fields of non-root types are reachable only
// through a guarded root field, so they are allowed per type.
import { GraphQLError, GraphQLSchema, isObjectType } from "graphql"
import { applyMiddleware } from "graphql-middleware"
import { allow, rule, shield } from "graphql-shield"
import { impliedScopes, ApiTokenScope } from "@/domain/api-tokens"
import type { GraphQLContext } from "@/graphql/context"
import { FieldAccess, scopeMap } from "./scope-map"

export const authErrors = {
  unauthenticated: () => new GraphQLError("Not authenticated", { extensions: { code: "UNAUTHENTICATED" } }),
  insufficientScope: (scope: ApiTokenScope) =>
    new GraphQLError(`This API token lacks the '${scope}' scope`, {
      extensions: { code: "INSUFFICIENT_SCOPE", requiredScope: scope },
    }),
  sessionOnly: () =>
    new GraphQLError("API tokens cannot use this operation; sign in as the account owner", {
      extensions: { code: "API_TOKEN_NOT_ALLOWED" },
    }),
  notMapped: () => new GraphQLError("Not authorized", { extensions: { code: "FORBIDDEN" } }),
}

const scoped = (scope: ApiTokenScope) =>
  rule(`scope-${scope}`, { cache: "contextual" })((_p, _a, ctx: GraphQLContext) => {
    const p = ctx.principal
    if (p.kind === "user") return true
    if (p.kind === "anonymous") return authErrors.unauthenticated()
    return impliedScopes(p.apiTokenScopes).has(scope) ? true : authErrors.insufficientScope(scope)
  })

const sessionOnly = rule("session-only", { cache: "contextual" })((_p, _a, ctx: GraphQLContext) => {
  if (ctx.principal.kind === "user") return true
  return ctx.principal.kind === "apiToken" ? authErrors.sessionOnly() : authErrors.unauthenticated()
})

const denyUnmapped = rule("not-in-scope-map", { cache: "no_cache" })(() => authErrors.notMapped())

const rules: Record<FieldAccess, typeof allow | ReturnType<ReturnType<typeof rule>>> = {
  public: allow,
  read: scoped("read"),
  receive: scoped("receive"),
  write: scoped("write"),
  "session-only": sessionOnly,
}

const ROOTS = ["Query", "Mutation", "Subscription"] as const

export const buildPermissions = (schema: GraphQLSchema) => {
  const tree: Record<string, Record<string, (typeof rules)[FieldAccess]>> = {}
  const rootNames = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].map((t) => t?.name))
  for (const root of ROOTS) {
    if (!rootNames.has(root)) continue
    const map = scopeMap[root] as Record<string, FieldAccess>
    tree[root] = Object.fromEntries(Object.entries(map).map(([field, access]) => [field, rules[access]]))
  }
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__") || rootNames.has(type.name)) continue
    tree[type.name] = { "*": allow }
  }
  return shield(tree, {
    fallbackRule: denyUnmapped,
    allowExternalErrors: false,
    // Resolver errors that are not GraphQLErrors stay opaque to clients.
    fallbackError: (thrown) =>
      thrown instanceof GraphQLError ? thrown : new GraphQLError("Internal error", { extensions: { code: "INTERNAL_ERROR" } }),
  })
}

export const withPermissions = (schema: GraphQLSchema) => applyMiddleware(schema, buildPermissions(schema))
