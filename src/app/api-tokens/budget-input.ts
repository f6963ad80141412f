// The budget a merchant asks for at creation or in an edit: `budget`, or the
// deprecated `dailySendLimit` (a DAILY budget in sats), never both.
import {
  ApiTokenBudget,
  ApiTokenBudgetConflictError,
  ApiTokenScope,
  budgetOfDailySendLimit,
  checkedToApiTokenBudget,
  checkedToDailySendLimit,
} from "@/domain/api-tokens"

export type BudgetInput = { amount?: unknown; unit?: unknown; period?: unknown; maxPerPayment?: unknown }

/** undefined: not asked (unchanged); null: no budget. */
export const checkedToBudgetChange = (
  args: { budget?: BudgetInput | null; dailySendLimit?: number | null },
  scopes: readonly ApiTokenScope[],
): ApiTokenBudget | null | undefined | Error => {
  if (args.budget !== undefined && args.dailySendLimit !== undefined)
    return new ApiTokenBudgetConflictError("give budget or the deprecated dailySendLimit, not both")
  if (args.dailySendLimit != null) {
    const limit = checkedToDailySendLimit(args.dailySendLimit, scopes)
    return limit instanceof Error ? limit : budgetOfDailySendLimit(limit)
  }
  if (args.dailySendLimit === null) return null
  if (args.budget == null) return args.budget
  return checkedToApiTokenBudget(args.budget, scopes)
}
