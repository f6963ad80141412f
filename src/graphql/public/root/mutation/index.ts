// Every Mutation field of the public schema, one file each.
import type { GraphQLFieldConfig, GraphQLFieldConfigMap } from "graphql"
import type { GraphQLContext } from "@/graphql/context"
import { intraLedgerPaymentSendMutation } from "./intra-ledger-payment-send"
import { lnInvoiceCreateMutation } from "./ln-invoice-create"
import { lnInvoiceFeeProbeMutation } from "./ln-invoice-fee-probe"
import { lnInvoicePaymentSendMutation } from "./ln-invoice-payment-send"
import { lnNoAmountInvoiceCreateMutation } from "./ln-no-amount-invoice-create"
import { lnNoAmountInvoicePaymentSendMutation } from "./ln-no-amount-invoice-payment-send"
import { lnNoAmountUsdInvoicePaymentSendMutation } from "./ln-no-amount-usd-invoice-payment-send"
import { lnUsdInvoiceCreateMutation } from "./ln-usd-invoice-create"
import { apiTokenCreateMutation } from "./api-token-create"
import { apiTokenRevokeMutation } from "./api-token-revoke"
import { apiTokenRotateMutation } from "./api-token-rotate"
import { apiTokenUpdateMutation } from "./api-token-update"

type Field = GraphQLFieldConfig<unknown, GraphQLContext>
const field = <A>(f: GraphQLFieldConfig<unknown, GraphQLContext, A>) => f as unknown as Field

export const mutationFields: GraphQLFieldConfigMap<unknown, GraphQLContext> = {
  intraLedgerPaymentSend: field(intraLedgerPaymentSendMutation),
  lnInvoiceCreate: field(lnInvoiceCreateMutation),
  lnInvoiceFeeProbe: field(lnInvoiceFeeProbeMutation),
  lnInvoicePaymentSend: field(lnInvoicePaymentSendMutation),
  lnNoAmountInvoiceCreate: field(lnNoAmountInvoiceCreateMutation),
  lnNoAmountInvoicePaymentSend: field(lnNoAmountInvoicePaymentSendMutation),
  lnNoAmountUsdInvoicePaymentSend: field(lnNoAmountUsdInvoicePaymentSendMutation),
  lnUsdInvoiceCreate: field(lnUsdInvoiceCreateMutation),
  apiTokenCreate: field(apiTokenCreateMutation),
  apiTokenRevoke: field(apiTokenRevokeMutation),
  apiTokenRotate: field(apiTokenRotateMutation),
  apiTokenUpdate: field(apiTokenUpdateMutation),
}
