import { LnNoAmountInvoicePaymentInput } from "@/graphql/public/types/invoice"
import { paymentSendMutation } from "./payment-send"

export const lnNoAmountInvoicePaymentSendMutation = paymentSendMutation({
  input: LnNoAmountInvoicePaymentInput,
  amountUnit: "sats",
  description:
    "Pay a lightning invoice using a balance from a wallet which is owned by the account of the current user.\nProvided wallet must be BTC and must have sufficient balance to cover amount specified in mutation request.\nReturns payment status (success, failed, pending, already_paid).",
})
