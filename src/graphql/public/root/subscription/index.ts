// Every Subscription field of the public schema, one file each.
import type { GraphQLFieldConfig, GraphQLFieldConfigMap } from "graphql"
import type { GraphQLContext } from "@/graphql/context"
import { lnInvoicePaymentStatusSubscription } from "./ln-invoice-payment-status"
import { myUpdatesSubscription } from "./my-updates"

export const subscriptionFields: GraphQLFieldConfigMap<unknown, GraphQLContext> = {
  lnInvoicePaymentStatus: lnInvoicePaymentStatusSubscription as unknown as GraphQLFieldConfig<unknown, GraphQLContext>,
  myUpdates: myUpdatesSubscription,
}
