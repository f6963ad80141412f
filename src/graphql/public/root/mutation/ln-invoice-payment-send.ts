import { LnInvoicePaymentInput } from "@/graphql/public/types/invoice"
import { paymentSendMutation } from "./payment-send"

export const lnInvoicePaymentSendMutation = paymentSendMutation({
  input: LnInvoicePaymentInput,
  amountUnit: undefined,
  description:
    "Pay a lightning invoice using a balance from a wallet which is owned by the account of the current user.\nProvided wallet can be USD or BTC and must have sufficient balance to cover amount in lightning invoice.\nReturns payment status (success, failed, pending, already_paid).",
})
