// The audit trail of an account's API tokens (apiTokenAuditEvents). Ids,
// reason codes, IPs and counts only: no secret, no token, ever.
import { GraphQLID, GraphQLInt, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLString } from "graphql"
import type { AuditEntry } from "@/app/audit"
import { WalletCurrency } from "../price"
import { Timestamp } from "../scalars"

export const ApiTokenSentAmountObject = new GraphQLObjectType<{ currency: string; amount: number }>({
  name: "ApiTokenSentAmount",
  description: "An amount sent with the token, in the minor unit of the sending wallet's currency",
  fields: {
    walletCurrency: { type: new GraphQLNonNull(WalletCurrency), resolve: (s) => s.currency },
    amount: { type: new GraphQLNonNull(GraphQLInt) },
  },
})

export const ApiTokenAuditEventObject = new GraphQLObjectType<AuditEntry>({
  name: "ApiTokenAuditEvent",
  description:
    "Something that happened to an API token: API_TOKEN_CREATED, API_TOKEN_ROTATED, API_TOKEN_UPDATED, API_TOKEN_REVOKED, API_TOKEN_EXPIRED, API_TOKEN_ROTATION_DUE (the secret reached the rotation age; once per secret), MANAGEMENT_REFUSED, TOKEN_ISSUANCE_REFUSED, USAGE_HOUR (one hour of use: requests, amounts sent, last IP), ACCOUNT_LOCKED or ACCOUNT_UNLOCKED",
  fields: {
    id: { type: new GraphQLNonNull(GraphQLID) },
    type: { type: new GraphQLNonNull(GraphQLString) },
    tokenId: { type: GraphQLID },
    at: { type: new GraphQLNonNull(Timestamp), description: "When it happened; for USAGE_HOUR, the start of the hour" },
    actor: { type: new GraphQLNonNull(GraphQLString), description: "user, apiToken, operator, system or tokenHook" },
    reason: { type: GraphQLString, description: "The refusal reason code of MANAGEMENT_REFUSED and TOKEN_ISSUANCE_REFUSED" },
    ip: { type: GraphQLString, description: "The caller's address where known (the token hook never knows it)" },
    field: { type: GraphQLString, resolve: (e) => (typeof e.details?.field === "string" ? e.details.field : null) },
    requests: { type: GraphQLInt, resolve: (e) => e.usage?.requests ?? null },
    amountsSent: { type: new GraphQLList(new GraphQLNonNull(ApiTokenSentAmountObject)), resolve: (e) => e.usage?.sent ?? null },
  },
})
