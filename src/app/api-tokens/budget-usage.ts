// What a token's budget has used in its current period, what remains and when
// it renews: shown by apiTokens and the token page.
import type { ApiToken, ApiTokenBudget } from "@/domain/api-tokens"
import { ApiTokenSpendsRepository } from "@/services/mongoose/api-token-spends"

export type ApiTokenBudgetStatus = ApiTokenBudget & { used: number; remaining: number; renewsAt: Date | undefined }

export const apiTokenBudgetStatus = async (
  token: Pick<ApiToken, "id" | "budget">,
  now = new Date(),
): Promise<ApiTokenBudgetStatus | undefined | Error> => {
  if (!token.budget) return undefined
  const usage = await ApiTokenSpendsRepository().usage(token.id, token.budget, now)
  if (usage instanceof Error) return usage
  return { ...token.budget, used: usage.used, remaining: usage.remaining, renewsAt: usage.renewsAt }
}
