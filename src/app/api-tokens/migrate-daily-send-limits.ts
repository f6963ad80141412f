// At start: tokens created with the old per-wallet `dailySendLimit` get the
// budget it now means, a DAILY budget in sats for every wallet together.
// (Their records are read that way already; this makes the stored form say so.)
import { apiTokensDeps, ApiTokensDeps } from "./deps"

export const migrateDailySendLimits = async (deps: ApiTokensDeps = apiTokensDeps()): Promise<number | Error> => {
  const moved = await deps.repo.migrateDailySendLimits()
  if (moved instanceof Error) return moved
  if (moved > 0) deps.logger?.info({ moved }, "api tokens: dailySendLimit moved to a DAILY SATS budget")
  return moved
}
