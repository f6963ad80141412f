import { LnInvoiceCreateInput, LnInvoicePayload } from "@/graphql/public/types/invoice"
import { invoiceCreateMutation } from "./invoice-create"

export const lnInvoiceCreateMutation = invoiceCreateMutation({
  payload: LnInvoicePayload,
  input: LnInvoiceCreateInput,
  expectedCurrency: "BTC",
  withAmount: true,
  description:
    "Returns a lightning invoice for an associated wallet.\nWhen invoice is paid the value will be credited to a BTC wallet.\nExpires after 'expiresIn' or 24 hours.",
})
