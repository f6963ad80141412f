// Dev-mode only: POST /dev/lightning/pay {"paymentRequest", "amountSats"?}
// plays a payer outside our node who pays one of our invoices: the receiving
// wallet is credited, the invoice turns PAID and subscribers are told.
// ("amountSats" only for a no-amount invoice.)
import express, { Router } from "express"
import type { Payments } from "@/app/payments"
import { mapError } from "@/graphql/error-map"
import type { Logger } from "@/services/logger"

const httpStatusOf = (code: string) =>
  code === "INVOICE_NOT_FOUND" ? 404 : code === "STORE_UNAVAILABLE" || code === "INTERNAL_ERROR" ? 503 : code === "PAYMENT_IN_PROGRESS" ? 409 : 400

export const devLightningRoutes = (deps: { logger: Logger; payments: Pick<Payments, "payAsExternalPayer"> }): Router => {
  const router = Router()
  router.post("/dev/lightning/pay", express.json({ limit: "8kb" }), async (req, res) => {
    const body = (req.body ?? {}) as { paymentRequest?: unknown; amountSats?: unknown }
    const result = await deps.payments.payAsExternalPayer(body.paymentRequest, body.amountSats)
    if (result instanceof Error) {
      const e = mapError(result, deps.logger)
      res.status(httpStatusOf(e.code)).json({ error: e })
      return
    }
    deps.logger.info({ paymentHash: result.paymentHash, status: result.status }, "dev payer paid an invoice")
    res.json(result)
  })
  return router
}
