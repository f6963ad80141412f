// The invoice-paying mutations share one resolver shape: check the wallet,
// pay, answer Flash's PaymentSendPayload.
import { GraphQLFieldConfig, GraphQLInputType, GraphQLNonNull } from "graphql"
import { GraphQLContext, walletOf } from "@/graphql/context"
import { authorizedWallet, apiTokenPayerOf } from "@/graphql/authz"
import { payloadErrors } from "@/graphql/public/payload"
import { PaymentSendPayload } from "@/graphql/public/types/invoice"

type PayInput = { walletId: unknown; paymentRequest: unknown; memo?: unknown; amount?: unknown; idempotencyKey?: unknown }

export const paymentSendMutation = (opts: {
  input: GraphQLInputType
  amountUnit: "sats" | "cents" | undefined
  description: string
}): GraphQLFieldConfig<unknown, GraphQLContext, { input: PayInput }> => ({
  type: new GraphQLNonNull(PaymentSendPayload),
  description: opts.description,
  args: { input: { type: opts.input } },
  resolve: async (_root, { input }, ctx) => {
    const wallet = await authorizedWallet(ctx, input.walletId)
    if (wallet instanceof Error) return { errors: payloadErrors(wallet, ctx, ["walletId"]), status: "FAILURE" }
    const result = await walletOf(ctx).payments.payInvoice({
      wallet,
      paymentRequest: input.paymentRequest,
      memo: input.memo,
      amount: opts.amountUnit ? { value: input.amount, unit: opts.amountUnit } : undefined,
      apiToken: apiTokenPayerOf(ctx),
      idempotencyKey: input.idempotencyKey,
    })
    if (result instanceof Error) return { errors: payloadErrors(result, ctx), status: "FAILURE" }
    ctx.logger.info({ walletId: wallet.id, status: result }, "invoice payment")
    return { errors: [], status: result }
  },
})
