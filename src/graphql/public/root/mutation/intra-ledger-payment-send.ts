import { GraphQLFieldConfig, GraphQLNonNull } from "graphql"
import { GraphQLContext, walletOf } from "@/graphql/context"
import { authorizedWallet, apiTokenPayerOf } from "@/graphql/authz"
import { payloadErrors } from "@/graphql/public/payload"
import { IntraLedgerPaymentSendInput, PaymentSendPayload } from "@/graphql/public/types/invoice"

type Input = { walletId: unknown; recipientWalletId: unknown; amount: unknown; memo?: unknown; idempotencyKey?: unknown }

export const intraLedgerPaymentSendMutation: GraphQLFieldConfig<unknown, GraphQLContext, { input: Input }> = {
  type: new GraphQLNonNull(PaymentSendPayload),
  description:
    "Actions a payment which is internal to the ledger e.g. it does\nnot use onchain/lightning. Returns payment status (success,\nfailed, pending, already_paid).",
  args: { input: { type: IntraLedgerPaymentSendInput } },
  resolve: async (_root, { input }, ctx) => {
    const wallet = await authorizedWallet(ctx, input.walletId)
    if (wallet instanceof Error) return { errors: payloadErrors(wallet, ctx, ["walletId"]), status: "FAILURE" }
    const result = await walletOf(ctx).payments.payIntraLedger({
      wallet,
      recipientWalletId: input.recipientWalletId,
      amount: input.amount,
      memo: input.memo,
      idempotencyKey: input.idempotencyKey,
      apiToken: apiTokenPayerOf(ctx),
    })
    if (result instanceof Error) return { errors: payloadErrors(result, ctx), status: "FAILURE" }
    return { errors: [], status: result }
  },
}
