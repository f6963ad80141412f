// Every payment use case over one set of ports: what the composition root
// (src/servers/wallet-services.ts) hands to its callers, and what a unit test
// builds over in-memory ports (test/support/in-memory-payment-ports.ts).
import { createExternalPayer } from "./external-payer"
import { bindPaymentWith, BindPaymentArgs } from "./idempotency"
import { createIntraLedgerPayment } from "./intraledger"
import { createInvoicePayments } from "./pay-invoice"
import type { PaymentPorts } from "./ports"
import { createTransfers } from "./transfer"

export const createPayments = (ports: PaymentPorts) => ({
  ...createTransfers(ports),
  ...createInvoicePayments(ports),
  ...createIntraLedgerPayment(ports),
  ...createExternalPayer(ports),
  bindPayment: (args: BindPaymentArgs) => bindPaymentWith(ports, args),
})

export type Payments = ReturnType<typeof createPayments>
export type { PaymentPorts } from "./ports"
