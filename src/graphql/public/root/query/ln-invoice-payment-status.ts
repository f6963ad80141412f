import { GraphQLFieldConfig, GraphQLNonNull } from "graphql"
import { statusOfInvoice, findOwnInvoice } from "@/app/wallets/invoice-status"
import { GraphQLContext, walletOf } from "@/graphql/context"
import { visibleWallets } from "@/graphql/authz"
import { payloadErrors } from "@/graphql/public/payload"
import { LnInvoicePaymentStatusInput, LnInvoicePaymentStatusPayload } from "@/graphql/public/types/invoice"

export const lnInvoicePaymentStatusQuery: GraphQLFieldConfig<unknown, GraphQLContext, { input: { paymentRequest: unknown } }> = {
  type: new GraphQLNonNull(LnInvoicePaymentStatusPayload),
  args: { input: { type: LnInvoicePaymentStatusInput } },
  resolve: async (_root, { input }, ctx) => {
    const wallets = await visibleWallets(ctx)
    if (wallets instanceof Error) return { errors: payloadErrors(wallets, ctx), status: null }
    const invoice = await findOwnInvoice(input.paymentRequest, wallets.map((w) => w.id), walletOf(ctx).payments)
    if (invoice instanceof Error) return { errors: payloadErrors(invoice, ctx), status: null }
    return { errors: [], status: statusOfInvoice(invoice) }
  },
}
