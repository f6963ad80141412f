import { LnNoAmountUsdInvoicePaymentInput } from "@/graphql/public/types/invoice"
import { paymentSendMutation } from "./payment-send"

export const lnNoAmountUsdInvoicePaymentSendMutation = paymentSendMutation({
  input: LnNoAmountUsdInvoicePaymentInput,
  amountUnit: "cents",
  description:
    "Pay a lightning invoice using a balance from a wallet which is owned by the account of the current user.\nProvided wallet must be USD and have sufficient balance to cover amount specified in mutation request.\nReturns payment status (success, failed, pending, already_paid).",
})
