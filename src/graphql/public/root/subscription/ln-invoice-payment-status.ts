// Flash's lnInvoicePaymentStatus subscription: the status of one of the
// caller's invoices. Already PAID or EXPIRED: that status at once, then done.
// PENDING: waits, and sends PAID when it is paid (on any replica, through the
// pubsub) or EXPIRED when it expires, then ends.
import { GraphQLFieldConfig, GraphQLNonNull } from "graphql"
import type { InvoiceStatusEvent } from "@/app/wallets/events"
import { findOwnInvoice, statusOfInvoice } from "@/app/wallets/invoice-status"
import { GraphQLContext, walletOf } from "@/graphql/context"
import { requireAccount, visibleWallets } from "@/graphql/authz"
import { payloadErrors } from "@/graphql/public/payload"
import { mapEvents, once } from "@/graphql/public/stream"
import { LnInvoicePaymentStatusInput, LnInvoicePaymentStatusPayload } from "@/graphql/public/types/invoice"
import { invoiceTopic } from "@/services/pubsub"

type Payload = { errors: ReturnType<typeof payloadErrors>; status: string | null }

export const lnInvoicePaymentStatusSubscription: GraphQLFieldConfig<unknown, GraphQLContext, { input: { paymentRequest: unknown } }> = {
  type: new GraphQLNonNull(LnInvoicePaymentStatusPayload),
  args: { input: { type: LnInvoicePaymentStatusInput } },
  resolve: (payload: unknown) => payload as Payload,
  subscribe: async (_root, { input }, ctx): Promise<AsyncIterableIterator<Payload>> => {
    requireAccount(ctx)
    const { payments, pubsub } = walletOf(ctx)
    const wallets = await visibleWallets(ctx)
    if (wallets instanceof Error) return once({ errors: payloadErrors(wallets, ctx), status: null })
    const ids = wallets.map((w) => w.id)
    const first = await findOwnInvoice(input.paymentRequest, ids, payments)
    if (first instanceof Error) return once({ errors: payloadErrors(first, ctx), status: null })

    // Listen first, then read: a payment between the two cannot be missed.
    const events = pubsub.subscribe<InvoiceStatusEvent>(invoiceTopic(first.paymentHash))
    const now = await findOwnInvoice(input.paymentRequest, ids, payments)
    const invoice = now instanceof Error ? first : now
    const status = statusOfInvoice(invoice)
    if (status !== "PENDING") {
      await events.return?.()
      return once({ errors: [], status })
    }
    return mapEvents<InvoiceStatusEvent, Payload>(events, (e) => ({ errors: [], status: e.status }), {
      isLast: (p) => p.status !== "PENDING",
      deadline: invoice.expiresAt,
      onDeadline: () => ({ errors: [], status: "EXPIRED" }),
    })
  },
}
