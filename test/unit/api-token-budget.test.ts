// The pure rules of an API token's budget: which UTC calendar period a moment
// falls in, validation of what a merchant types, and whether a payment fits.
import {
  budgetPeriodAt,
  checkBudget,
  checkedToApiTokenBudget,
  checkPaymentMax,
  dailySendLimitOfBudget,
  ApiTokenBudget,
} from "@/domain/api-tokens"
import { paymentValue } from "@/domain/payments/price"

const at = (iso: string) => new Date(iso)
const iso = (d: Date | undefined) => d?.toISOString()

describe("budgetPeriodAt", () => {
  it("DAILY runs from 00:00 UTC to the next 00:00 UTC", () => {
    const p = budgetPeriodAt("DAILY", at("2026-12-02T15:04:05.678Z"))
    expect(p.key).toBe("D2026-12-02")
    expect(iso(p.start)).toBe("2026-12-02T00:00:00.000Z")
    expect(iso(p.renewsAt)).toBe("2026-12-03T00:00:00.000Z")
  })

  it("DAILY: the last millisecond of a day and the first of the next are different periods", () => {
    expect(budgetPeriodAt("DAILY", at("2026-12-02T23:59:59.999Z")).key).toBe("D2026-12-02")
    expect(budgetPeriodAt("DAILY", at("2026-12-03T00:00:00.000Z")).key).toBe("D2026-12-03")
  })

  it("DAILY ignores the local time zone of the process (a UTC day, not a local one)", () => {
    // 23:30 UTC is already the next day in UTC+1 and still the same in UTC-5: only UTC counts.
    expect(budgetPeriodAt("DAILY", at("2026-12-31T23:30:00-05:00")).key).toBe("D2027-01-01")
  })

  it("WEEKLY starts on Monday 00:00 UTC and is named by its ISO week", () => {
    // Wednesday 2 December 2026 is in ISO week 49, Monday 30 November to Monday 7 December.
    const p = budgetPeriodAt("WEEKLY", at("2026-12-02T10:00:00Z"))
    expect(p.key).toBe("W2026-W49")
    expect(iso(p.start)).toBe("2026-11-30T00:00:00.000Z")
    expect(iso(p.renewsAt)).toBe("2026-12-07T00:00:00.000Z")
    expect(budgetPeriodAt("WEEKLY", at("2026-12-06T23:59:59.999Z")).key).toBe("W2026-W49")
    expect(budgetPeriodAt("WEEKLY", at("2026-12-07T00:00:00.000Z")).key).toBe("W2026-W50")
  })

  it("WEEKLY: a Sunday is the last day of its week, not the first", () => {
    const p = budgetPeriodAt("WEEKLY", at("2026-11-29T12:00:00Z")) // a Sunday
    expect(iso(p.start)).toBe("2026-11-23T00:00:00.000Z")
    expect(p.key).toBe("W2026-W48")
  })

  it("WEEKLY: weeks across a new year belong to the ISO week-numbering year of their Thursday", () => {
    // 1 January 2027 is a Friday: it is in 2026-W53 (Monday 28 December 2026).
    const p = budgetPeriodAt("WEEKLY", at("2027-01-01T08:00:00Z"))
    expect(p.key).toBe("W2026-W53")
    expect(iso(p.start)).toBe("2026-12-28T00:00:00.000Z")
    expect(iso(p.renewsAt)).toBe("2027-01-04T00:00:00.000Z")
    // 31 December 2024 is a Tuesday of 2025-W01.
    expect(budgetPeriodAt("WEEKLY", at("2024-12-31T08:00:00Z")).key).toBe("W2025-W01")
  })

  it("MONTHLY renews on the 1st at 00:00 UTC, across months of every length", () => {
    const feb = budgetPeriodAt("MONTHLY", at("2028-02-29T23:00:00Z"))
    expect(feb.key).toBe("M2028-02")
    expect(iso(feb.start)).toBe("2028-02-01T00:00:00.000Z")
    expect(iso(feb.renewsAt)).toBe("2028-03-01T00:00:00.000Z")
    const dec = budgetPeriodAt("MONTHLY", at("2026-12-31T23:59:59.999Z"))
    expect(dec.key).toBe("M2026-12")
    expect(iso(dec.renewsAt)).toBe("2027-01-01T00:00:00.000Z")
  })

  it("YEARLY renews on 1 January at 00:00 UTC", () => {
    const p = budgetPeriodAt("YEARLY", at("2026-07-15T00:00:00Z"))
    expect(p.key).toBe("Y2026")
    expect(iso(p.start)).toBe("2026-01-01T00:00:00.000Z")
    expect(iso(p.renewsAt)).toBe("2027-01-01T00:00:00.000Z")
  })

  it("NEVER is one period forever, with no renewal", () => {
    const a = budgetPeriodAt("NEVER", at("2026-01-01T00:00:00Z"))
    const b = budgetPeriodAt("NEVER", at("2099-12-31T00:00:00Z"))
    expect(a).toEqual({ key: "N", start: undefined, renewsAt: undefined })
    expect(b.key).toBe(a.key)
  })

  it("every moment of a period maps to the same key, and renewsAt is the start of the next period", () => {
    const periods = ["DAILY", "WEEKLY", "MONTHLY", "YEARLY"] as const
    for (const period of periods) {
      let t = at("2026-12-20T00:00:00Z").getTime()
      for (let i = 0; i < 40; i++) {
        const p = budgetPeriodAt(period, new Date(t))
        expect(p.start!.getTime()).toBeLessThanOrEqual(t)
        expect(p.renewsAt!.getTime()).toBeGreaterThan(t)
        expect(budgetPeriodAt(period, new Date(p.renewsAt!.getTime() - 1)).key).toBe(p.key)
        const next = budgetPeriodAt(period, p.renewsAt!)
        expect(next.key).not.toBe(p.key)
        expect(iso(next.start)).toBe(iso(p.renewsAt))
        t += 17 * 3600_000 + 123
      }
    }
  })
})

describe("checkedToApiTokenBudget", () => {
  const write = ["read", "write"]
  const code = (r: unknown) => (r instanceof Error ? r.constructor.name : "ok")

  it("accepts a budget with or without a maximum per payment", () => {
    expect(checkedToApiTokenBudget({ amount: 300, unit: "SATS", period: "DAILY" }, write)).toEqual({ amount: 300, unit: "SATS", period: "DAILY" })
    expect(checkedToApiTokenBudget({ amount: 500, unit: "USD_CENTS", period: "NEVER", maxPerPayment: 500 }, write)).toEqual({
      amount: 500,
      unit: "USD_CENTS",
      period: "NEVER",
      maxPerPayment: 500,
    })
  })

  it.each([
    ["a zero amount", { amount: 0, unit: "SATS", period: "DAILY" }, "InvalidApiTokenBudgetAmountError"],
    ["a fractional amount", { amount: 1.5, unit: "SATS", period: "DAILY" }, "InvalidApiTokenBudgetAmountError"],
    ["an amount past 32 bits", { amount: 2 ** 31, unit: "SATS", period: "DAILY" }, "InvalidApiTokenBudgetAmountError"],
    ["an unknown unit", { amount: 1, unit: "BTC", period: "DAILY" }, "UnknownApiTokenBudgetUnitError"],
    ["an unknown period", { amount: 1, unit: "SATS", period: "HOURLY" }, "UnknownApiTokenBudgetPeriodError"],
    ["a maximum above the amount", { amount: 100, unit: "SATS", period: "DAILY", maxPerPayment: 101 }, "InvalidApiTokenBudgetMaxPerPaymentError"],
    ["a zero maximum", { amount: 100, unit: "SATS", period: "DAILY", maxPerPayment: 0 }, "InvalidApiTokenBudgetMaxPerPaymentError"],
  ])("refuses %s", (_what, raw, expected) => {
    expect(code(checkedToApiTokenBudget(raw, write))).toBe(expected)
  })

  it("refuses a budget on a token without the write scope", () => {
    expect(code(checkedToApiTokenBudget({ amount: 10, unit: "SATS", period: "DAILY" }, ["read", "receive"]))).toBe(
      "ApiTokenBudgetRequiresWriteScopeError",
    )
  })
})

describe("checkBudget and checkPaymentMax", () => {
  const sats: ApiTokenBudget = { amount: 300, unit: "SATS", period: "DAILY" }
  const cents: ApiTokenBudget = { amount: 300, unit: "USD_CENTS", period: "WEEKLY", maxPerPayment: 100 }

  it("counts a payment in the budget's unit: up to the amount fits, one more does not", () => {
    expect(checkBudget(sats, 200, { sats: 100, cents: 10 })).toBe(true)
    expect(checkBudget(sats, 201, { sats: 100, cents: 10 })).toBeInstanceOf(Error)
    expect(checkBudget(cents, 0, { sats: 3000, cents: 300 })).toBe(true)
    expect(checkBudget(cents, 1, { sats: 3000, cents: 300 })).toBeInstanceOf(Error)
  })

  it("the red-team case: after 300 sats, 300 cents (3000 sats) do not fit a budget of 300 sats", () => {
    const usd300 = paymentValue({ senderAmount: 300, senderCurrency: "USD" })
    expect(usd300).toEqual({ sats: 3000, cents: 300 })
    expect(checkBudget(sats, 300, usd300)).toBeInstanceOf(Error)
  })

  it("a refusal says what the budget is, what was used, what the payment is worth and when the budget renews", () => {
    const e = checkBudget(sats, 250, { sats: 100, cents: 10 }, new Date("2026-12-03T00:00:00Z"))
    expect(e).toBeInstanceOf(Error)
    expect((e as Error).message).toBe(
      "this API token's budget is 300 sats per UTC day; 250 used, this payment (100 sats) would exceed it; it renews at 2026-12-03T00:00:00.000Z",
    )
    expect((checkBudget({ ...sats, period: "NEVER" }, 300, { sats: 1, cents: 1 }) as Error).message).toMatch(/300 sats in total; .* would exceed it$/)
  })

  it("refuses a payment worth more than the maximum per payment, and only such a payment", () => {
    expect(checkPaymentMax(cents, { sats: 1000, cents: 100 })).toBe(true)
    expect(checkPaymentMax(cents, { sats: 1001, cents: 101 })).toBeInstanceOf(Error)
    expect(checkPaymentMax(sats, { sats: 300, cents: 30 })).toBe(true)
  })

  it("the deprecated dailySendLimit output is the amount of a DAILY SATS budget only", () => {
    expect(dailySendLimitOfBudget(sats)).toBe(300)
    expect(dailySendLimitOfBudget({ ...sats, unit: "USD_CENTS" })).toBeUndefined()
    expect(dailySendLimitOfBudget({ ...sats, period: "MONTHLY" })).toBeUndefined()
    expect(dailySendLimitOfBudget(undefined)).toBeUndefined()
  })
})

describe("paymentValue", () => {
  it("rounds the other unit up, so a budget errs towards refusing", () => {
    // 1 cent = 10 sats at the dev price: 15 sats are worth 2 cents to a budget, not 1.
    expect(paymentValue({ senderAmount: 15, senderCurrency: "BTC" })).toEqual({ sats: 15, cents: 2 })
    // A USD wallet paying a 15-sat invoice is charged 2 cents: worth 20 sats to a budget.
    expect(paymentValue({ senderAmount: 2, senderCurrency: "USD" })).toEqual({ sats: 20, cents: 2 })
  })
})
