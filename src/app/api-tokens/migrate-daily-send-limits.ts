// At start: tokens created with the old per-wallet `dailySendLimit` get the
// budget it now means, a DAILY budget in sats for every wallet together.
// (Their records are read that way already; this makes the stored form say so.)
// What such a token sent today (UTC) under the old rule is carried into
// today's budget first, converted to sats and cents rounded up, so the day of
// the upgrade does not let the limit go out twice. Every step is idempotent
// and safe on several replicas at once: the carry-over is one entry under a
// unique key, and moving the record writes what any replica would.
import { budgetOfDailySendLimit, budgetPeriodAt } from "@/domain/api-tokens"
import { centsToSats, satsToCentsCeil } from "@/domain/payments/price"
import { ApiTokenSpendsRepository } from "@/services/mongoose/api-token-spends"
import type { ApiTokensDeps } from "./deps"

export const migrateDailySendLimits = async (deps: ApiTokensDeps, now = new Date()): Promise<number | Error> => {
  const legacy = await deps.repo.listWithDailySendLimit()
  if (legacy instanceof Error) return legacy
  const spends = ApiTokenSpendsRepository()
  let moved = 0
  for (const t of legacy) {
    if (t.dailySendLimit !== undefined && !t.hasBudget) {
      const budget = budgetOfDailySendLimit(t.dailySendLimit)
      const today = budgetPeriodAt("DAILY", now)
      const sent = await spends.legacySentSince(t.id, today.start!)
      if (sent instanceof Error) return sent
      if (sent.size > 0) {
        const wallets = await deps.accounts.listWallets(t.accountId)
        if (wallets instanceof Error) return wallets
        let sats = 0
        let cents = 0
        for (const [walletId, amount] of sent) {
          if (amount <= 0) continue
          // A wallet we cannot find counts as USD: its amount is worth the most sats that way.
          const currency = wallets.find((w) => w.id === walletId)?.currency ?? "USD"
          sats += currency === "BTC" ? amount : centsToSats(amount)
          cents += currency === "BTC" ? satsToCentsCeil(amount) : amount
        }
        if (sats > 0) {
          const carried = await spends.carryInto(t.id, budget, { sats, cents }, `carried-over:${t.id}:${today.key}`, now)
          if (carried instanceof Error) return carried
        }
      }
    }
    const r = await deps.repo.moveDailySendLimitToBudget(t.id)
    if (r instanceof Error) return r
    if (r) moved++
  }
  if (moved > 0) deps.logger?.info({ moved }, "api tokens: dailySendLimit moved to a DAILY SATS budget")
  return moved
}
