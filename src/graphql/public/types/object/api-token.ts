// The API-token types of the public schema. No field ever carries secret
// material except `ApiTokenCreated.clientSecret` / `token` / `connectionString` /
// `pluginConnectionString`, returned once by apiTokenCreate and apiTokenRotate.
import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLError,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLString,
  GraphQLID,
  GraphQLNullableType,
} from "graphql"
import { apiTokenStatus, ApiToken, dailySendLimitOfBudget, API_TOKEN_BUDGET_PERIODS, API_TOKEN_BUDGET_UNITS } from "@/domain/api-tokens"
import { apiTokenBudgetStatus, ApiTokenBudgetStatus } from "@/app/api-tokens/budget-usage"
import { apiTokensOf, GraphQLContext } from "@/graphql/context"
import { mapError } from "@/graphql/error-map"
import type { ApiTokenCreated as ApiTokenCreatedSource } from "@/app/api-tokens"
import { apiTokenRotation } from "@/app/api-tokens/rotation-reminders"
import { ErrorsField } from "../error"
import { ApiTokenScopeScalar } from "../scalar/api-token-scope"
import { Timestamp as TimestampScalar, WalletId as WalletIdScalar } from "../scalars"

const nn = <T extends GraphQLNullableType>(t: T) => new GraphQLNonNull(t)
const list = <T extends GraphQLNullableType>(t: T) => new GraphQLList(new GraphQLNonNull(t))

export const ApiTokenStatusEnum = new GraphQLEnumType({
  name: "ApiTokenStatus",
  values: { ACTIVE: {}, EXPIRED: {}, REVOKED: {} },
})

export const ApiTokenAuthMethodEnum = new GraphQLEnumType({
  name: "ApiTokenAuthMethod",
  description:
    "How the machine sends the secret to the token endpoint (fixed per token by the OAuth2 server): HTTP Basic (default) or form fields",
  values: {
    CLIENT_SECRET_BASIC: { value: "client_secret_basic" },
    CLIENT_SECRET_POST: { value: "client_secret_post" },
  },
})

export type ApiTokenSource = ApiToken & { clientId: string }

export const ApiTokenBudgetUnitEnum = new GraphQLEnumType({
  name: "ApiTokenBudgetUnit",
  description: "The unit a budget counts in; payments from every wallet are converted at their own price",
  values: Object.fromEntries(API_TOKEN_BUDGET_UNITS.map((u) => [u, {}])),
})

export const ApiTokenBudgetPeriodEnum = new GraphQLEnumType({
  name: "ApiTokenBudgetPeriod",
  description:
    "When a budget renews, in UTC: DAILY at 00:00, WEEKLY on Monday 00:00 (ISO weeks), MONTHLY on the 1st at 00:00, YEARLY on 1 January at 00:00, NEVER never",
  values: Object.fromEntries(API_TOKEN_BUDGET_PERIODS.map((p) => [p, {}])),
})

export const ApiTokenBudgetObject = new GraphQLObjectType<ApiTokenBudgetStatus>({
  name: "ApiTokenBudget",
  description: "What the token may send from all its wallets together in each period, and what the current period has used",
  fields: () => ({
    amount: { type: nn(GraphQLInt), description: "Per period, in unit" },
    unit: { type: nn(ApiTokenBudgetUnitEnum) },
    period: { type: nn(ApiTokenBudgetPeriodEnum) },
    maxPerPayment: { type: GraphQLInt, description: "The most one payment may be worth, in unit; null: no maximum but the budget" },
    used: { type: nn(GraphQLInt), description: "Sent in the current period, in unit (a payment in flight counts)" },
    remaining: { type: nn(GraphQLInt), description: "amount - used, never below 0" },
    renewsAt: { type: TimestampScalar, description: "When the next period starts (used goes back to 0); null for NEVER" },
  }),
})

export const ApiTokenBudgetInput = new GraphQLInputObjectType({
  name: "ApiTokenBudgetInput",
  description: "One budget for every wallet of a write token",
  fields: () => ({
    amount: { type: nn(GraphQLInt), description: "Per period, in unit: 1 to 2147483647" },
    unit: { type: nn(ApiTokenBudgetUnitEnum) },
    period: { type: nn(ApiTokenBudgetPeriodEnum) },
    maxPerPayment: { type: GraphQLInt, description: "The most one payment may be worth, in unit (at most amount)" },
  }),
})

const DAILY_SEND_LIMIT_DEPRECATION = "Use budget: dailySendLimit means a DAILY budget in SATS"

export const ApiTokenObject = new GraphQLObjectType<ApiTokenSource>({
  name: "ApiToken",
  fields: () => ({
    id: { type: nn(GraphQLID) },
    name: { type: nn(GraphQLString) },
    clientId: { type: nn(GraphQLString), description: "The OAuth2 client id of the current credentials" },
    scopes: { type: nn(list(ApiTokenScopeScalar)) },
    status: { type: nn(ApiTokenStatusEnum), resolve: (t) => apiTokenStatus(t) },
    authMethod: { type: nn(ApiTokenAuthMethodEnum), resolve: (t) => t.authMethod ?? "client_secret_basic" },
    createdAt: { type: nn(TimestampScalar) },
    expiresAt: { type: TimestampScalar },
    revokedAt: { type: TimestampScalar },
    lastUsedAt: { type: TimestampScalar },
    secretCreatedAt: {
      type: nn(TimestampScalar),
      description: "When the current secret was issued: at creation, then at every rotation",
      resolve: (t: ApiTokenSource, _args: unknown, ctx: GraphQLContext) => apiTokenRotation(t, apiTokensOf(ctx)).secretCreatedAt,
    },
    rotationDue: {
      type: nn(GraphQLBoolean),
      description:
        "True when the current secret is as old as the server's rotation age (API_TOKEN_ROTATION_DUE_DAYS, default 90 days) and the token is active: rotate it. Never true for a revoked or expired token",
      resolve: (t: ApiTokenSource, _args: unknown, ctx: GraphQLContext) => apiTokenRotation(t, apiTokensOf(ctx)).due,
    },
    rotationDueAt: {
      type: nn(TimestampScalar),
      description: "When the current secret is (or was) due for rotation: secretCreatedAt plus the rotation age",
      resolve: (t: ApiTokenSource, _args: unknown, ctx: GraphQLContext) => apiTokenRotation(t, apiTokensOf(ctx)).dueAt,
    },
    walletIds: { type: list(WalletIdScalar) },
    ipAllowlist: { type: list(GraphQLString) },
    rateLimitPerMinute: { type: GraphQLInt },
    budget: {
      type: ApiTokenBudgetObject,
      resolve: async (t: ApiTokenSource, _args: unknown, ctx: GraphQLContext) => {
        const b = await apiTokenBudgetStatus(t)
        if (b instanceof Error) {
          const m = mapError(b, ctx.logger)
          throw new GraphQLError(m.message, { extensions: { code: m.code } })
        }
        return b
      },
    },
    dailySendLimit: {
      type: GraphQLInt,
      description: "The amount of a DAILY budget in SATS; null for any other budget or none",
      deprecationReason: DAILY_SEND_LIMIT_DEPRECATION,
      resolve: (t: ApiTokenSource) => dailySendLimitOfBudget(t.budget),
    },
    staticKey: {
      type: nn(GraphQLBoolean),
      description: "The secret is also accepted as the Bearer itself (static-key mode, chosen at creation)",
      resolve: (t) => t.staticKey === true,
    },
  }),
})

export const ApiTokenCreatedObject = new GraphQLObjectType<ApiTokenCreatedSource>({
  name: "ApiTokenCreated",
  description: "New credentials. The client secret is shown only here, once.",
  fields: () => ({
    id: { type: nn(GraphQLID), resolve: (c) => c.token.id },
    name: { type: nn(GraphQLString), resolve: (c) => c.token.name },
    clientId: { type: nn(GraphQLString) },
    clientSecret: { type: nn(GraphQLString) },
    token: {
      type: nn(GraphQLString),
      description:
        "The secret, shown once: the same value as clientSecret. With a static-key token, send it as Authorization: Bearer; otherwise exchange it at tokenEndpoint",
      resolve: (c) => c.clientSecret,
    },
    scopes: { type: nn(list(ApiTokenScopeScalar)), resolve: (c) => c.token.scopes },
    expiresAt: { type: TimestampScalar, resolve: (c) => c.token.expiresAt },
    authMethod: { type: nn(ApiTokenAuthMethodEnum), resolve: (c) => c.token.authMethod ?? "client_secret_basic" },
    tokenEndpoint: { type: nn(GraphQLString) },
    warning: { type: nn(GraphQLString) },
    connectionString: {
      type: nn(GraphQLString),
      description:
        "For the BTCPay Server Flash plugin: type=flash;server=<GraphQL URL>;token-url=<token URL>;client-id=<id>;client-secret=<secret>",
    },
    pluginConnectionString: {
      type: GraphQLString,
      description:
        "For the BTCPay Flash plugin 1.5.x as released: type=flash;server=<GraphQL URL>;token=<secret>. Static-key tokens only (null otherwise)",
      resolve: (c) => c.pluginConnectionString ?? null,
    },
  }),
})

export const ApiTokenCreateInput = new GraphQLInputObjectType({
  name: "ApiTokenCreateInput",
  fields: () => ({
    name: { type: nn(GraphQLString), description: "1–50 characters, unique among the account's active tokens" },
    scopes: { type: nn(list(ApiTokenScopeScalar)) },
    expiresIn: { type: GraphQLInt, description: "Seconds, from 3600 to the policy maximum (default: the maximum)" },
    walletIds: { type: list(WalletIdScalar), description: "Limit the token to these wallets of the account" },
    ipAllowlist: { type: list(GraphQLString), description: "IP addresses or CIDR blocks the token may be used from" },
    rateLimitPerMinute: { type: GraphQLInt },
    budget: { type: ApiTokenBudgetInput, description: "write tokens only: one budget for every wallet of the token" },
    dailySendLimit: {
      type: GraphQLInt,
      description: "write tokens only: a DAILY budget of this many sats",
      deprecationReason: DAILY_SEND_LIMIT_DEPRECATION,
    },
    authMethod: { type: ApiTokenAuthMethodEnum, description: "Default CLIENT_SECRET_BASIC" },
    staticKey: {
      type: GraphQLBoolean,
      description:
        "Default false. true: the secret is also accepted as Authorization: Bearer (for clients without OAuth2, such as the BTCPay Flash plugin 1.5.x); it then travels on every request, so prefer OAuth2 where the client supports it",
    },
  }),
})

export const ApiTokenRevokeInput = new GraphQLInputObjectType({
  name: "ApiTokenRevokeInput",
  fields: () => ({ id: { type: nn(GraphQLID) } }),
})

export const ApiTokenRotateInput = new GraphQLInputObjectType({
  name: "ApiTokenRotateInput",
  fields: () => ({
    id: { type: nn(GraphQLID) },
    gracePeriodSeconds: {
      type: GraphQLInt,
      description: "How long the old credentials keep working (0, the default: they stop at once; at most 7 days)",
    },
  }),
})

export const ApiTokenUpdateInput = new GraphQLInputObjectType({
  name: "ApiTokenUpdateInput",
  description:
    "What the token may do from now on. An omitted field stays as it is; null removes a limit. A narrowing applies on every API replica within a second, and sockets that no longer qualify are closed (4442).",
  fields: () => ({
    id: { type: nn(GraphQLID) },
    scopes: { type: list(ApiTokenScopeScalar), description: "Replaces the scopes (cannot be null)" },
    walletIds: { type: list(WalletIdScalar), description: "Limit the token to these wallets of the account; null: every wallet" },
    ipAllowlist: { type: list(GraphQLString), description: "IP addresses or CIDR blocks; null: any address" },
    rateLimitPerMinute: { type: GraphQLInt, description: "null: the default limit" },
    budget: {
      type: ApiTokenBudgetInput,
      description:
        "write tokens only: replaces the budget; with the same period what the current period used keeps counting, another period starts at 0; null: no budget",
    },
    dailySendLimit: {
      type: GraphQLInt,
      description: "write tokens only: a DAILY budget of this many sats; null: no budget",
      deprecationReason: DAILY_SEND_LIMIT_DEPRECATION,
    },
  }),
})

export const ApiTokenPayload = new GraphQLObjectType({
  name: "ApiTokenPayload",
  fields: () => ({ errors: ErrorsField, apiToken: { type: ApiTokenObject } }),
})

export const ApiTokenCreatePayload = new GraphQLObjectType({
  name: "ApiTokenCreatePayload",
  fields: () => ({ errors: ErrorsField, apiToken: { type: ApiTokenCreatedObject } }),
})
export const ApiTokenRotatePayload = new GraphQLObjectType({
  name: "ApiTokenRotatePayload",
  fields: () => ({ errors: ErrorsField, apiToken: { type: ApiTokenCreatedObject } }),
})
export const ApiTokenRevokePayload = new GraphQLObjectType({
  name: "ApiTokenRevokePayload",
  fields: () => ({ errors: ErrorsField, apiToken: { type: ApiTokenObject } }),
})
