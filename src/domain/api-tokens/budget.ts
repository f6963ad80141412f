// The spending budget of an API token: one amount in one unit the merchant
// picks, for every wallet of the token together, renewed in UTC calendar
// periods, with an optional maximum per payment. Pure: the period a moment
// falls in, validation, and the decision whether a payment fits.
//
// Renewal, all in UTC:
//   DAILY    at 00:00 every day
//   WEEKLY   at 00:00 on Monday (ISO 8601 weeks)
//   MONTHLY  at 00:00 on the 1st of each month
//   YEARLY   at 00:00 on 1 January
//   NEVER    never: the amount is a lifetime allowance
// A new period starts counting at 0; nothing carries over.
import {
  ApiTokenBudgetRequiresWriteScopeError,
  BudgetExceededError,
  InvalidApiTokenBudgetAmountError,
  InvalidApiTokenBudgetMaxPerPaymentError,
  PaymentOverMaxError,
  UnknownApiTokenBudgetPeriodError,
  UnknownApiTokenBudgetUnitError,
} from "./errors"

export const API_TOKEN_BUDGET_UNITS = ["SATS", "USD_CENTS"] as const
export type ApiTokenBudgetUnit = (typeof API_TOKEN_BUDGET_UNITS)[number]

export const API_TOKEN_BUDGET_PERIODS = ["DAILY", "WEEKLY", "MONTHLY", "YEARLY", "NEVER"] as const
export type ApiTokenBudgetPeriod = (typeof API_TOKEN_BUDGET_PERIODS)[number]

/** GraphQL `Int` is 32-bit signed; a budget in sats or cents fits. */
export const API_TOKEN_MAX_BUDGET_AMOUNT = 2_147_483_647

export type ApiTokenBudget = {
  /** In `unit`, per period. */
  amount: number
  unit: ApiTokenBudgetUnit
  period: ApiTokenBudgetPeriod
  /** In `unit`; at most `amount`. Absent: any payment that fits the budget. */
  maxPerPayment?: number
}

/** What a payment is worth in both units, each rounded up (see paymentValue in ../payments/price). */
export type PaymentValue = { sats: number; cents: number }

/** The period a moment falls in. `start`/`renewsAt` are undefined for NEVER. */
export type BudgetPeriodWindow = { key: string; start: Date | undefined; renewsAt: Date | undefined }

const DAY_MS = 24 * 3600_000
const pad = (n: number, width = 2) => String(n).padStart(width, "0")
const utcDay = (y: number, m: number, d: number) => new Date(Date.UTC(y, m, d))

/**
 * The budget period that `at` falls in. The key names the period (distinct
 * for every period of every kind), so the spend log can count per period:
 * DAILY `D2026-12-02`, WEEKLY `W2026-W49` (ISO week-numbering year and week),
 * MONTHLY `M2026-12`, YEARLY `Y2026`, NEVER `N`.
 */
export const budgetPeriodAt = (period: ApiTokenBudgetPeriod, at: Date): BudgetPeriodWindow => {
  const y = at.getUTCFullYear()
  const m = at.getUTCMonth()
  const d = at.getUTCDate()
  switch (period) {
    case "DAILY": {
      const start = utcDay(y, m, d)
      return { key: `D${y}-${pad(m + 1)}-${pad(d)}`, start, renewsAt: new Date(start.getTime() + DAY_MS) }
    }
    case "WEEKLY": {
      const isoWeekday = (at.getUTCDay() + 6) % 7 // Monday 0 … Sunday 6
      const start = utcDay(y, m, d - isoWeekday)
      // The ISO week belongs to the year of its Thursday.
      const thursday = new Date(start.getTime() + 3 * DAY_MS)
      const weekYear = thursday.getUTCFullYear()
      const week = Math.floor((thursday.getTime() - utcDay(weekYear, 0, 1).getTime()) / (7 * DAY_MS)) + 1
      return { key: `W${weekYear}-W${pad(week)}`, start, renewsAt: new Date(start.getTime() + 7 * DAY_MS) }
    }
    case "MONTHLY":
      return { key: `M${y}-${pad(m + 1)}`, start: utcDay(y, m, 1), renewsAt: utcDay(y, m + 1, 1) }
    case "YEARLY":
      return { key: `Y${y}`, start: utcDay(y, 0, 1), renewsAt: utcDay(y + 1, 0, 1) }
    case "NEVER":
      return { key: "N", start: undefined, renewsAt: undefined }
  }
}

/** A payment's value in the budget's unit. */
export const valueInBudgetUnit = (budget: Pick<ApiTokenBudget, "unit">, value: PaymentValue) =>
  budget.unit === "SATS" ? value.sats : value.cents

const PER: Record<ApiTokenBudgetPeriod, string> = {
  DAILY: "per UTC day",
  WEEKLY: "per ISO week (UTC)",
  MONTHLY: "per calendar month (UTC)",
  YEARLY: "per calendar year (UTC)",
  NEVER: "in total",
}

const unitName = (unit: ApiTokenBudgetUnit) => (unit === "SATS" ? "sats" : "USD cents")

/** The per-payment maximum, checked before anything is reserved. */
export const checkPaymentMax = (budget: ApiTokenBudget, value: PaymentValue): true | PaymentOverMaxError => {
  const v = valueInBudgetUnit(budget, value)
  if (budget.maxPerPayment !== undefined && v > budget.maxPerPayment)
    return new PaymentOverMaxError(
      `this API token may send at most ${budget.maxPerPayment} ${unitName(budget.unit)} per payment; this payment is worth ${v}`,
    )
  return true
}

/**
 * Whether a payment worth `value` fits in a period where `used` (in the
 * budget's unit) is already spent; the refusal says when the budget renews.
 */
export const checkBudget = (budget: ApiTokenBudget, used: number, value: PaymentValue, renewsAt?: Date): true | BudgetExceededError => {
  const v = valueInBudgetUnit(budget, value)
  if (used + v <= budget.amount) return true
  const unit = unitName(budget.unit)
  const renews = renewsAt ? `; it renews at ${renewsAt.toISOString()}` : ""
  return new BudgetExceededError(
    `this API token's budget is ${budget.amount} ${unit} ${PER[budget.period]}; ${used} used, this payment (${v} ${unit}) would exceed it${renews}`,
  )
}

const isAmount = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= API_TOKEN_MAX_BUDGET_AMOUNT

export type ApiTokenBudgetError =
  | InvalidApiTokenBudgetAmountError
  | UnknownApiTokenBudgetUnitError
  | UnknownApiTokenBudgetPeriodError
  | InvalidApiTokenBudgetMaxPerPaymentError
  | ApiTokenBudgetRequiresWriteScopeError

/** A budget as a merchant typed it; only tokens that may send (the write scope) can have one. */
export const checkedToApiTokenBudget = (
  raw: { amount?: unknown; unit?: unknown; period?: unknown; maxPerPayment?: unknown },
  scopes: readonly string[],
): ApiTokenBudget | ApiTokenBudgetError => {
  if (!isAmount(raw.amount))
    return new InvalidApiTokenBudgetAmountError(`budget amount must be a whole number from 1 to ${API_TOKEN_MAX_BUDGET_AMOUNT}`)
  if (!API_TOKEN_BUDGET_UNITS.includes(raw.unit as ApiTokenBudgetUnit))
    return new UnknownApiTokenBudgetUnitError(`budget unit must be one of ${API_TOKEN_BUDGET_UNITS.join(", ")}`)
  if (!API_TOKEN_BUDGET_PERIODS.includes(raw.period as ApiTokenBudgetPeriod))
    return new UnknownApiTokenBudgetPeriodError(`budget period must be one of ${API_TOKEN_BUDGET_PERIODS.join(", ")}`)
  let maxPerPayment: number | undefined
  if (raw.maxPerPayment !== undefined && raw.maxPerPayment !== null) {
    if (!isAmount(raw.maxPerPayment))
      return new InvalidApiTokenBudgetMaxPerPaymentError("maxPerPayment must be a positive whole number")
    if (raw.maxPerPayment > raw.amount)
      return new InvalidApiTokenBudgetMaxPerPaymentError(`maxPerPayment (${raw.maxPerPayment}) must not exceed the budget amount (${raw.amount})`)
    maxPerPayment = raw.maxPerPayment
  }
  if (!scopes.includes("write"))
    return new ApiTokenBudgetRequiresWriteScopeError("a budget only applies to tokens with the write scope")
  const budget: ApiTokenBudget = { amount: raw.amount, unit: raw.unit as ApiTokenBudgetUnit, period: raw.period as ApiTokenBudgetPeriod }
  if (maxPerPayment !== undefined) budget.maxPerPayment = maxPerPayment
  return budget
}

/** The deprecated `dailySendLimit` (and records written with it): a DAILY budget in sats. */
export const budgetOfDailySendLimit = (limit: number): ApiTokenBudget => ({ amount: limit, unit: "SATS", period: "DAILY" })

/** The deprecated `dailySendLimit` output: the amount of a DAILY SATS budget, otherwise nothing it could truthfully say. */
export const dailySendLimitOfBudget = (budget: ApiTokenBudget | undefined): number | undefined =>
  budget && budget.period === "DAILY" && budget.unit === "SATS" ? budget.amount : undefined

/** One line for logs and the audit trail, e.g. `300 SATS DAILY, max 100 per payment`. */
export const describeBudget = (b: ApiTokenBudget) =>
  `${b.amount} ${b.unit} ${b.period}${b.maxPerPayment !== undefined ? `, max ${b.maxPerPayment} per payment` : ""}`
