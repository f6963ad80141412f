// Dev-mode routes; absent unless FLASH_DEV_MODE=true (and refused in production
// by the config). POST /dev/session creates the user, account and wallets on
// first use and returns a user-session JWT; an optional "username" names the
// account (what accountDefaultWallet looks up).
import express, { Router } from "express"
import { checkedToPhoneNumber, checkedToUsername } from "@/domain/accounts"
import { AccountsRepository } from "@/services/mongoose/accounts"
import type { DevSessionIssuer } from "@/services/dev-session/issuer"
import type { Logger } from "@/services/logger"

export const devRoutes = (deps: { issuer: DevSessionIssuer; logger: Logger }): Router => {
  const router = Router()
  router.get("/dev/.well-known/jwks.json", (_req, res) => {
    res.json(deps.issuer.jwks())
  })
  router.post("/dev/session", express.json({ limit: "4kb" }), async (req, res) => {
    const phone = checkedToPhoneNumber((req.body as { phone?: unknown } | undefined)?.phone)
    if (phone instanceof Error) {
      res.status(400).json({ error: { code: "INVALID_PHONE", message: phone.message } })
      return
    }
    const rawUsername = (req.body as { username?: unknown }).username
    const username = rawUsername === undefined ? undefined : checkedToUsername(rawUsername)
    if (username instanceof Error) {
      res.status(400).json({ error: { code: "INVALID_USERNAME", message: username.message } })
      return
    }
    const result = await AccountsRepository().findOrCreateByPhone(phone)
    if (result instanceof Error) {
      deps.logger.error({ err: result.message }, "dev session: account store failed")
      res.status(503).json({ error: { code: "STORE_UNAVAILABLE", message: "account store unavailable, try again" } })
      return
    }
    if (username) {
      const claimed = await AccountsRepository().claimUsername(result.account.id, username)
      if (claimed instanceof Error) {
        res.status(503).json({ error: { code: "STORE_UNAVAILABLE", message: "account store unavailable, try again" } })
        return
      }
      if (!claimed) {
        res.status(409).json({ error: { code: "USERNAME_TAKEN", message: "another account has this username" } })
        return
      }
    }
    const { token, expiresAt } = await deps.issuer.issue(result.user.id)
    res.json({ token, userId: result.user.id, accountId: result.account.id, expiresAt: expiresAt.toISOString() })
  })
  return router
}
