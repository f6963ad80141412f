// flashapi_api_tokens_active counts ACTIVE tokens in Mongo: every 30 s (other
// replicas' changes, expiry), and right after this process creates or revokes
// one (`refresh`, handed to the API-token use cases as onActiveCountChanged).
import { metrics } from "@/services/metrics"
import type { ApiTokensRepositoryType } from "@/services/mongoose/api-tokens"

// A recount reads every active token (FerretDB cannot count from an index),
// so a burst of creates or revokes is coalesced: at most one recount starts
// per second; an isolated change is counted at once.
const RECOUNT_MIN_INTERVAL_MS = 1000

export type ActiveTokensGauge = { refresh: () => void; start: () => void; stop: () => void }

export const createActiveTokensGauge = (store: Pick<ApiTokensRepositoryType, "countActive">): ActiveTokensGauge => {
  let counting = false
  let lastCountStart = 0
  let pending: NodeJS.Timeout | undefined
  let timer: NodeJS.Timeout | undefined
  const recount = async () => {
    counting = true
    lastCountStart = Date.now()
    try {
      const n = await store.countActive()
      if (!(n instanceof Error)) metrics.activeApiTokens.set(n)
    } finally {
      counting = false
    }
  }
  const refresh = () => {
    if (pending) return
    const wait = counting ? RECOUNT_MIN_INTERVAL_MS : Math.max(0, lastCountStart + RECOUNT_MIN_INTERVAL_MS - Date.now())
    if (wait === 0) return void recount()
    pending = setTimeout(() => {
      pending = undefined
      if (counting) return refresh()
      void recount()
    }, wait)
    pending.unref()
  }
  return {
    refresh,
    start: () => {
      refresh()
      timer = setInterval(refresh, 30_000)
      timer.unref()
    },
    stop: () => {
      clearInterval(timer)
      clearTimeout(pending)
    },
  }
}
