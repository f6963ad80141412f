import { GraphQLFieldConfig, GraphQLNonNull } from "graphql"
import { GraphQLContext, walletOf } from "@/graphql/context"
import { authorizedWallet } from "@/graphql/authz"
import { payloadErrors } from "@/graphql/public/payload"
import { LnInvoiceFeeProbeInput, SatAmountPayload } from "@/graphql/public/types/invoice"

export const lnInvoiceFeeProbeMutation: GraphQLFieldConfig<unknown, GraphQLContext, { input: { walletId: unknown; paymentRequest: unknown } }> = {
  type: new GraphQLNonNull(SatAmountPayload),
  args: { input: { type: LnInvoiceFeeProbeInput } },
  resolve: async (_root, { input }, ctx) => {
    const wallet = await authorizedWallet(ctx, input.walletId)
    if (wallet instanceof Error) return { errors: payloadErrors(wallet, ctx, ["walletId"]), amount: null }
    const fee = await walletOf(ctx).payments.probeInvoiceFee({ wallet, paymentRequest: input.paymentRequest })
    if (fee instanceof Error) return { errors: payloadErrors(fee, ctx), amount: null }
    return { errors: [], amount: fee }
  },
}
