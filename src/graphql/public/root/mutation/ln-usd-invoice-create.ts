import { LnInvoicePayload, LnUsdInvoiceCreateInput } from "@/graphql/public/types/invoice"
import { invoiceCreateMutation } from "./invoice-create"

export const lnUsdInvoiceCreateMutation = invoiceCreateMutation({
  payload: LnInvoicePayload,
  input: LnUsdInvoiceCreateInput,
  expectedCurrency: "USD",
  withAmount: true,
  description:
    "Returns a lightning invoice denominated in satoshis for an associated wallet.\nWhen invoice is paid the equivalent value at invoice creation will be credited to a USD wallet.\nExpires after 'expiresIn' or 5 minutes (short expiry time because there is a USD/BTC exchange rate\nassociated with the amount).",
})
