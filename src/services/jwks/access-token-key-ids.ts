// Which keys may sign an API-token JWT: the kids of Hydra's access-token key
// set (`hydra.jwt.access-token`), never the OpenID key (`hydra.openid.id-token`)
// that Hydra publishes in the same public JWKS. A key set that any issuer key
// verifies would let an ID token, or anything else Hydra's OpenID key signs,
// pass as an API-token JWT.
//
// The list comes from Hydra's admin API (`GET /admin/keys/<set>`), which
// answers with the private parts too: only the `kid` strings are read from the
// answer and the rest is dropped at once. The public keys themselves still come
// from the public JWKS (remote-key-set.ts); this is an allow-list on top of it.
// An unknown kid (a rotation added a key) makes us refetch, one fetch shared by
// every request waiting for it and never more often than minRefetchIntervalMs,
// so forged kids cannot cause more than one admin call per interval. An outage
// keeps the kids already known.
import type { JWTVerifyGetKey } from "jose"
import type { RemoteKeySet } from "./remote-key-set"

export const HYDRA_ACCESS_TOKEN_KEY_SET = "hydra.jwt.access-token"

/** The JWT's `kid` names a key outside the access-token set (e.g. the OpenID key). */
export class KeyOutsideAllowedSetError extends Error {
  override name = "KeyOutsideAllowedSetError"
  readonly code = "ERR_KEY_OUTSIDE_ACCESS_TOKEN_SET"
}

/** The access-token set could not be read and the kid is not one already known. */
export class KeySetListUnavailableError extends Error {
  override name = "KeySetListUnavailableError"
  readonly code = "ERR_ACCESS_TOKEN_SET_UNAVAILABLE"
}

export type KeyIdAllowList = {
  /** true, false (not in the set, even after a refetch), or an Error when the set cannot be read. */
  allows: (kid: string) => Promise<boolean | Error>
  ensureLoaded: () => Promise<true | Error>
  size: () => number
}

/** Hydra's admin answer → the kids in it; nothing else of the answer is kept. */
export const keyIdsOf = (body: unknown): Set<string> | Error => {
  const keys = (body as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys)) return new Error("not a JSON Web Key Set")
  const kids = new Set<string>()
  for (const k of keys) {
    const kid = (k as { kid?: unknown } | null)?.kid
    if (typeof kid === "string" && kid !== "") kids.add(kid)
  }
  return kids
}

export const hydraAccessTokenKeyIds = (
  adminUrl: string,
  opts: {
    setName?: string
    minRefetchIntervalMs?: number
    timeoutMs?: number
    onFetch?: (result: "ok" | "error") => void
    fetchImpl?: typeof fetch
  } = {},
): KeyIdAllowList => {
  const url = `${adminUrl}/admin/keys/${encodeURIComponent(opts.setName ?? HYDRA_ACCESS_TOKEN_KEY_SET)}`
  const minInterval = opts.minRefetchIntervalMs ?? 1_000
  const doFetch = opts.fetchImpl ?? fetch
  let kids: Set<string> | undefined
  let lastFetch = 0
  let fetching: Promise<true | Error> | undefined

  const fetchNow = async (): Promise<true | Error> => {
    try {
      const res = await doFetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 2_000) })
      if (!res.ok) return new Error(`access-token key set: HTTP ${res.status}`)
      const found = keyIdsOf(await res.json())
      if (found instanceof Error) return found
      kids = found
      return true
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e))
    }
  }

  /** One fetch at a time, never more often than `minInterval`. */
  const refetchSoon = () => {
    fetching ??= (async () => {
      const wait = lastFetch + minInterval - Date.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      try {
        const result = await fetchNow()
        opts.onFetch?.(result === true ? "ok" : "error")
        return result
      } finally {
        lastFetch = Date.now()
        fetching = undefined
      }
    })()
    return fetching
  }

  return {
    allows: async (kid) => {
      if (kids?.has(kid)) return true
      const result = await refetchSoon()
      if (kids) return kids.has(kid)
      return result instanceof Error ? result : false
    },
    ensureLoaded: async () => {
      if (kids && kids.size > 0) return true
      const result = await refetchSoon()
      if (result instanceof Error) return result
      return kids && kids.size > 0 ? true : new Error(`no keys in ${url}`)
    },
    size: () => kids?.size ?? 0,
  }
}

/**
 * The public key set, restricted to the allowed kids. The public JWKS is asked
 * first, so a kid nobody published stays `unknown_key` (with its JWKS refetch);
 * a published key outside the list (the OpenID key) then fails with
 * KeyOutsideAllowedSetError, before its signature is ever checked.
 */
export const restrictToKeyIds = (keys: RemoteKeySet, allowed: KeyIdAllowList): RemoteKeySet => {
  const getKey: JWTVerifyGetKey = async (header, token) => {
    const key = await keys.getKey(header, token)
    const kid = header.kid
    if (typeof kid !== "string" || kid === "") throw new KeyOutsideAllowedSetError("the JWT names no key (kid)")
    const verdict = await allowed.allows(kid)
    if (verdict instanceof Error) throw new KeySetListUnavailableError(verdict.message)
    if (!verdict) throw new KeyOutsideAllowedSetError("the JWT's key is not an access-token signing key")
    return key
  }
  return {
    url: keys.url,
    getKey,
    keyCount: keys.keyCount,
    ensureLoaded: async () => {
      const [publicKeys, kids] = await Promise.all([keys.ensureLoaded(), allowed.ensureLoaded()])
      if (publicKeys instanceof Error) return publicKeys
      return kids
    },
  }
}
