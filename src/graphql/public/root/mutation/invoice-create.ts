// The three invoice-creating mutations share one resolver shape: check the
// wallet, create the invoice, answer Flash's payload.
import { GraphQLFieldConfig, GraphQLNonNull, GraphQLObjectType, GraphQLInputType } from "graphql"
import { createInvoiceForWallet } from "@/app/wallets/create-invoice"
import type { Wallet } from "@/domain/accounts"
import { GraphQLContext, walletOf } from "@/graphql/context"
import { authorizedWallet } from "@/graphql/authz"
import { payloadErrors } from "@/graphql/public/payload"

type InvoiceInput = { walletId: unknown; amount?: unknown; memo?: unknown; expiresIn?: unknown }

export const invoiceCreateMutation = (opts: {
  payload: GraphQLObjectType
  input: GraphQLInputType
  expectedCurrency: Wallet["currency"] | undefined
  withAmount: boolean
  description: string
}): GraphQLFieldConfig<unknown, GraphQLContext, { input: InvoiceInput }> => ({
  type: new GraphQLNonNull(opts.payload),
  description: opts.description,
  args: { input: { type: opts.input } },
  resolve: async (_root, { input }, ctx) => {
    const wallet = await authorizedWallet(ctx, input.walletId)
    if (wallet instanceof Error) return { errors: payloadErrors(wallet, ctx, ["walletId"]), invoice: null }
    const invoice = await createInvoiceForWallet({
      wallet,
      expectedCurrency: opts.expectedCurrency,
      amount: opts.withAmount ? (input.amount ?? null) : undefined,
      memo: input.memo,
      expiresIn: input.expiresIn,
    }, walletOf(ctx))
    if (invoice instanceof Error) return { errors: payloadErrors(invoice, ctx), invoice: null }
    ctx.logger.info({ walletId: wallet.id, paymentHash: invoice.paymentHash }, "invoice created")
    return { errors: [], invoice }
  },
})
