// A budget renews at the start of each UTC calendar period (DAILY 00:00,
// WEEKLY Monday 00:00, MONTHLY the 1st, YEARLY 1 January) and NEVER renews.
// The payment path runs for real (reservation in the spend log, debit, credit)
// with an injected clock, on a database of this file's own on the stack's FerretDB.
import { randomUUID } from "node:crypto"
import type { WalletId } from "@/domain/accounts"
import { ApiTokenBudget, ApiTokenBudgetPeriod, BudgetExceededError } from "@/domain/api-tokens"
import { ApiTokenSpendsRepository } from "@/services/mongoose/api-token-spends"
import { useOwnDatabase } from "../support/own-database"
import { storeWallet } from "../support/store-wallet"

useOwnDatabase("flash_budget_periods")

const { payments, fund } = storeWallet()

/** A token with `budget`, a BTC wallet holding 100,000 sats and a payee wallet. */
const tokenWith = async (budget: ApiTokenBudget) => {
  const t = { tokenId: `tok-${randomUUID()}`, accountId: `acc-${randomUUID()}`, wallet: randomUUID() as WalletId, payee: randomUUID() as WalletId, budget }
  await fund(t.wallet, 100_000)
  return t
}
type Token = Awaited<ReturnType<typeof tokenWith>>

/** A payment of `sats` made when the clock reads `at`. */
const payAt = (t: Token, at: string, sats: number) =>
  payments.executeTransfer(
    {
      transferId: randomUUID(),
      kind: "intraledger",
      sender: { walletId: t.wallet, currency: "BTC", amount: sats },
      recipient: { walletId: t.payee, currency: "BTC", amount: sats },
      apiToken: { tokenId: t.tokenId, accountId: t.accountId, budget: t.budget },
    },
    { now: () => new Date(at) },
  )

const usageAt = async (t: Token, at: string) => {
  const u = await ApiTokenSpendsRepository().usage(t.tokenId, t.budget, new Date(at))
  if (u instanceof Error) throw u
  return { used: u.used, remaining: u.remaining, renewsAt: u.renewsAt?.toISOString() ?? null }
}

describe("a budget renews at the start of its UTC period", () => {
  // [period, the last millisecond of a period, the first of the next]
  const boundaries: Array<[ApiTokenBudgetPeriod, string, string]> = [
    ["DAILY", "2026-12-02T23:59:59.999Z", "2026-12-03T00:00:00.000Z"],
    // Sunday 6 December 2026 → Monday 7 December.
    ["WEEKLY", "2026-12-06T23:59:59.999Z", "2026-12-07T00:00:00.000Z"],
    ["MONTHLY", "2026-12-31T23:59:59.999Z", "2027-01-01T00:00:00.000Z"],
    ["MONTHLY", "2028-02-29T23:59:59.999Z", "2028-03-01T00:00:00.000Z"],
    ["YEARLY", "2026-12-31T23:59:59.999Z", "2027-01-01T00:00:00.000Z"],
  ]

  it.each(boundaries)("%s: spent up to the last millisecond of a period, refused then, the whole budget again at %s's boundary", async (period, last, first) => {
    const t = await tokenWith({ amount: 1000, unit: "SATS", period })
    // Spent early in the period, and the rest at its last millisecond.
    expect(await payAt(t, last, 600)).not.toBeInstanceOf(Error)
    expect(await payAt(t, last, 400)).not.toBeInstanceOf(Error)
    expect(await usageAt(t, last)).toEqual({ used: 1000, remaining: 0, renewsAt: first })
    expect(await payAt(t, last, 1)).toBeInstanceOf(BudgetExceededError)

    expect(await usageAt(t, first)).toMatchObject({ used: 0, remaining: 1000 })
    expect(await payAt(t, first, 1000)).not.toBeInstanceOf(Error)
    expect(await payAt(t, first, 1)).toBeInstanceOf(BudgetExceededError)
    // The earlier period's total is unchanged by the new one.
    expect(await usageAt(t, last)).toMatchObject({ used: 1000 })
  })

  it("WEEKLY: Monday to Sunday is one period, so a payment on Sunday still counts against Monday's", async () => {
    const t = await tokenWith({ amount: 500, unit: "SATS", period: "WEEKLY" })
    expect(await payAt(t, "2026-11-30T00:00:00.000Z", 500)).not.toBeInstanceOf(Error) // Monday
    expect(await payAt(t, "2026-12-06T12:00:00.000Z", 1)).toBeInstanceOf(BudgetExceededError) // Sunday
    expect(await usageAt(t, "2026-12-06T12:00:00.000Z")).toEqual({ used: 500, remaining: 0, renewsAt: "2026-12-07T00:00:00.000Z" })
  })

  it("NEVER never renews: a lifetime budget spent in 2026 is still spent in 2040, with no renewsAt", async () => {
    const t = await tokenWith({ amount: 700, unit: "SATS", period: "NEVER" })
    expect(await payAt(t, "2026-12-02T10:00:00.000Z", 700)).not.toBeInstanceOf(Error)
    expect(await payAt(t, "2027-01-01T00:00:00.000Z", 1)).toBeInstanceOf(BudgetExceededError)
    expect(await payAt(t, "2040-06-01T00:00:00.000Z", 1)).toBeInstanceOf(BudgetExceededError)
    expect(await usageAt(t, "2040-06-01T00:00:00.000Z")).toEqual({ used: 700, remaining: 0, renewsAt: null })
  })

  it("a budget in USD cents renews too, counting both wallets' units from 0", async () => {
    const t = await tokenWith({ amount: 100, unit: "USD_CENTS", period: "DAILY" })
    expect(await payAt(t, "2026-12-02T08:00:00.000Z", 1000)).not.toBeInstanceOf(Error) // 100 cents
    expect(await payAt(t, "2026-12-02T23:00:00.000Z", 10)).toBeInstanceOf(BudgetExceededError)
    expect(await payAt(t, "2026-12-03T00:00:00.000Z", 1000)).not.toBeInstanceOf(Error)
    expect(await usageAt(t, "2026-12-03T01:00:00.000Z")).toEqual({ used: 100, remaining: 0, renewsAt: "2026-12-04T00:00:00.000Z" })
  })
})
