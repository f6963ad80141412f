// graphql-shield permissions generated from the scope map: one rule per access
// level, every root field named explicitly, and a fallback that denies any root
// field the map does not name. Fields of non-root types are reachable only
// through a guarded root field, so they are allowed per type.
import { GraphQLError, GraphQLSchema, isObjectType } from "graphql"
import { applyMiddleware } from "graphql-middleware"
import { allow, rule, shield } from "graphql-shield"
import { recordAuditEvent } from "@/app/audit/record-audit-event"
import { impliedScopes, ApiTokenScope } from "@/domain/api-tokens"
import type { Principal } from "@/domain/auth/principal"
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

// A principal's scopes arrive as an array that is the same object for every
// request of a cached token and JWT: its implied set is built once.
const impliedSets = new WeakMap<readonly ApiTokenScope[], ReadonlySet<ApiTokenScope>>()
const impliedSetOf = (scopes: readonly ApiTokenScope[]) => {
  let set = impliedSets.get(scopes)
  if (!set) impliedSets.set(scopes, (set = impliedScopes(scopes)))
  return set
}

/** Who may call a field of this access level: the one decision shield and the subscribe guard share. */
export const accessDecision = (access: FieldAccess, p: Principal): true | GraphQLError => {
  if (access === "public" || p.kind === "user") return true
  if (p.kind === "anonymous") return authErrors.unauthenticated()
  if (access === "session-only") return authErrors.sessionOnly()
  return impliedSetOf(p.apiTokenScopes).has(access) ? true : authErrors.insufficientScope(access)
}

/** A leaked API token probing token management is worth an audit event on its account. */
const auditSessionOnlyRefusal = (ctx: GraphQLContext, field: string) => {
  const p = ctx.principal
  if (p.kind !== "apiToken") return
  void recordAuditEvent(
    {
      type: "MANAGEMENT_REFUSED",
      accountId: p.domainAccount.id,
      tokenId: p.apiTokenId,
      actor: "apiToken",
      reason: "API_TOKEN_ON_SESSION_ONLY_FIELD",
      ip: ctx.ip,
      details: { field },
    },
    ctx.logger,
  )
}

const ruleFor = (access: FieldAccess) =>
  rule(`access-${access}`, { cache: "contextual" })((_p, _a, ctx: GraphQLContext, info) => {
    const decision = accessDecision(access, ctx.principal)
    if (decision !== true && access === "session-only") auditSessionOnlyRefusal(ctx, `${info.parentType.name}.${info.fieldName}`)
    return decision
  })

const denyUnmapped = rule("not-in-scope-map", { cache: "no_cache" })(() => authErrors.notMapped())

const rules: Record<FieldAccess, typeof allow | ReturnType<ReturnType<typeof rule>>> = {
  public: allow,
  read: ruleFor("read"),
  receive: ruleFor("receive"),
  write: ruleFor("write"),
  "session-only": ruleFor("session-only"),
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

/**
 * graphql-middleware wraps a subscription field's `resolve` (run per event)
 * but not its `subscribe` when both exist, so a caller without the scope could
 * open the stream. Guard `subscribe` itself with the same decision.
 */
const guardSubscriptions = (schema: GraphQLSchema) => {
  const fields = schema.getSubscriptionType()?.getFields() ?? {}
  const map = scopeMap.Subscription as Record<string, FieldAccess>
  for (const [name, field] of Object.entries(fields)) {
    const subscribe = field.subscribe
    if (!subscribe) continue
    field.subscribe = (source, args, ctx: GraphQLContext, info) => {
      const access = map[name]
      const decision = access ? accessDecision(access, ctx.principal) : authErrors.notMapped()
      if (decision !== true) throw decision
      return subscribe(source, args, ctx, info)
    }
  }
  return schema
}

export const withPermissions = (schema: GraphQLSchema) =>
  guardSubscriptions(applyMiddleware(schema, buildPermissions(schema)))
