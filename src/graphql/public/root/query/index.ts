// Every Query field of the public schema, one file each.
import type { GraphQLFieldConfigMap } from "graphql"
import type { GraphQLContext } from "@/graphql/context"
import { apiTokenAuditEventsQuery } from "./api-token-audit-events"
import { apiTokensQuery } from "./api-tokens"
import { accountDefaultWalletQuery } from "./account-default-wallet"
import { globalsQuery } from "./globals"
import { lnInvoicePaymentStatusQuery } from "./ln-invoice-payment-status"
import { meQuery } from "./me"
import { realtimePriceQuery } from "./realtime-price"

export const queryFields: GraphQLFieldConfigMap<unknown, GraphQLContext> = {
  accountDefaultWallet: accountDefaultWalletQuery,
  globals: globalsQuery,
  apiTokens: apiTokensQuery,
  apiTokenAuditEvents: apiTokenAuditEventsQuery as GraphQLFieldConfigMap<unknown, GraphQLContext>[string],
  lnInvoicePaymentStatus: lnInvoicePaymentStatusQuery as GraphQLFieldConfigMap<unknown, GraphQLContext>[string],
  me: meQuery,
  realtimePrice: realtimePriceQuery as GraphQLFieldConfigMap<unknown, GraphQLContext>[string],
}
