import { LnNoAmountInvoiceCreateInput, LnNoAmountInvoicePayload } from "@/graphql/public/types/invoice"
import { invoiceCreateMutation } from "./invoice-create"

export const lnNoAmountInvoiceCreateMutation = invoiceCreateMutation({
  payload: LnNoAmountInvoicePayload,
  input: LnNoAmountInvoiceCreateInput,
  expectedCurrency: undefined,
  withAmount: false,
  description:
    "Returns a lightning invoice for an associated wallet.\nCan be used to receive any supported currency value (currently USD or BTC).\nExpires after 'expiresIn' or 24 hours for BTC invoices or 5 minutes for USD invoices.",
})
