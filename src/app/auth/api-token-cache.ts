// The one in-process cache of API-token records (token + client + account, by
// client id), shared by the request path (resolve-principal.ts) and the Hydra
// token hook (servers/hooks/hydra-token-hook.ts), so both refuse a token at the
// same moment. Bounded, with a short TTL; every event of the invalidation bus
// (revocation, rotation, an edit, an account lock) evicts the records of its
// token or account at once. A lookup that started before an event may have read
// the record before the change: its result answers that caller but is not cached.
// Not-found and store errors are never cached.
import { LRUCache } from "lru-cache"
import type { Account } from "@/domain/accounts"
import type { ApiToken, ApiTokenClient } from "@/domain/api-tokens"
import type { InvalidationBus } from "@/services/invalidation"

export type ResolvedApiToken = { token: ApiToken; client: ApiTokenClient; account: Account }

export type ApiTokenCache = {
  /** The record of this client id, from the cache or read through `lookup`; an Error as `lookup` returned it. */
  get: (clientId: string) => Promise<ResolvedApiToken | Error>
  /** Drops every cached record. */
  clear: () => void
}

export const createApiTokenCache = (deps: {
  lookup: (clientId: string) => Promise<ResolvedApiToken | Error>
  invalidations: Pick<InvalidationBus, "onInvalidated">
  ttlMs: number
  max?: number
}): ApiTokenCache => {
  const records = new LRUCache<string, ResolvedApiToken>({ max: deps.max ?? 10_000, ttl: deps.ttlMs })
  const clientIdsByToken = new Map<string, Set<string>>()
  // Bumped by every invalidation (see the file's first lines).
  let generation = 0

  deps.invalidations.onInvalidated((e) => {
    generation += 1
    if ("tokenId" in e) {
      for (const clientId of clientIdsByToken.get(e.tokenId) ?? []) records.delete(clientId)
      clientIdsByToken.delete(e.tokenId)
      return
    }
    // Account events are rare (lock, unlock): a walk of the cache is fine.
    for (const [clientId, r] of records.entries()) if (r.account.id === e.accountId) records.delete(clientId)
  })

  return {
    get: async (clientId) => {
      const hit = records.get(clientId)
      if (hit) return hit
      const startedAt = generation
      const found = await deps.lookup(clientId)
      if (found instanceof Error || startedAt !== generation) return found
      records.set(clientId, found)
      const set = clientIdsByToken.get(found.token.id) ?? new Set<string>()
      set.add(clientId)
      clientIdsByToken.set(found.token.id, set)
      return found
    },
    clear: () => {
      generation += 1
      records.clear()
      clientIdsByToken.clear()
    },
  }
}
