// Flash's myUpdates subscription (subset): LnUpdate when an invoice of the
// caller is paid, IntraLedgerUpdate when a payment leaves or reaches one of
// the caller's wallets. Events of wallets outside an API token's wallet list
// are not delivered.
import { GraphQLFieldConfig, GraphQLNonNull } from "graphql"
import type { AccountUpdateEvent } from "@/app/wallets/events"
import { satsToMinor } from "@/domain/payments/price"
import { GraphQLContext, walletOf } from "@/graphql/context"
import { isWalletVisible, requireAccount } from "@/graphql/authz"
import { mapEvents } from "@/graphql/public/stream"
import { MyUpdatesPayload, UserUpdateSource } from "@/graphql/public/types/invoice"
import { accountTopic } from "@/services/pubsub"

type Payload = { errors: never[]; me: unknown; update: UserUpdateSource }

export const myUpdatesSubscription: GraphQLFieldConfig<unknown, GraphQLContext> = {
  type: new GraphQLNonNull(MyUpdatesPayload),
  resolve: (payload: unknown) => payload as Payload,
  subscribe: async (_root, _args, ctx): Promise<AsyncIterableIterator<Payload>> => {
    const account = requireAccount(ctx)
    const events = walletOf(ctx).pubsub.subscribe<AccountUpdateEvent>(accountTopic(account.id))
    const usdPerSat = satsToMinor(1_000_000, "USD", "down") / 100 / 1_000_000
    return mapEvents<AccountUpdateEvent, Payload>(events, (e) => {
      if (!isWalletVisible(ctx, { id: e.walletId, accountId: account.id })) return undefined
      const update: UserUpdateSource =
        e.type === "LnUpdate"
          ? { __typename: "LnUpdate", walletId: e.walletId, paymentHash: e.paymentHash, status: e.status }
          : { __typename: "IntraLedgerUpdate", walletId: e.walletId, amount: e.amount, txNotificationType: e.txNotificationType, usdPerSat }
      return { errors: [], me: account, update }
    })
  },
}
