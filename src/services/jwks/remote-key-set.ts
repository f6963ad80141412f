// A trusted issuer's remote JWKS, cached in process (jose's createRemoteJWKSet).
// An unknown `kid` (e.g. Hydra signing with a key added by a rotation) makes us
// refetch: at once if the last fetch is older than `minRefetchIntervalMs`,
// otherwise once that interval has passed — one fetch shared by every request
// waiting for it. So a token of a new key verifies within about a second of
// the rotation, and forged kids cannot cause more than one fetch per interval.
// An outage keeps the keys already cached.
import { createLocalJWKSet, createRemoteJWKSet, errors, JWTVerifyGetKey } from "jose"

export type RemoteKeySet = {
  url: string
  getKey: JWTVerifyGetKey
  /** Loads the set if it never loaded; resolves true when keys are cached. */
  ensureLoaded: () => Promise<true | Error>
  keyCount: () => number
}

export const remoteKeySet = (
  url: string,
  opts: { minRefetchIntervalMs?: number; timeoutMs?: number; cacheMaxAgeMs?: number; onFetch?: (result: "ok" | "error") => void } = {},
): RemoteKeySet => {
  const minInterval = opts.minRefetchIntervalMs ?? 1_000
  const set = createRemoteJWKSet(new URL(url), {
    cooldownDuration: minInterval,
    timeoutDuration: opts.timeoutMs ?? 2_000,
    cacheMaxAge: opts.cacheMaxAgeMs ?? 10 * 60_000,
  })
  const keyCount = () => set.jwks()?.keys.length ?? 0
  let lastReload = 0
  let reloading: Promise<void> | undefined
  /** One reload at a time, never more often than `minInterval`. */
  const reloadSoon = () => {
    reloading ??= (async () => {
      const wait = lastReload + minInterval - Date.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      try {
        await set.reload()
        opts.onFetch?.("ok")
      } catch {
        opts.onFetch?.("error")
      } finally {
        lastReload = Date.now()
        reloading = undefined
      }
    })()
    return reloading
  }

  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await set(header, token)
    } catch (e) {
      const cached = set.jwks()
      if (e instanceof errors.JWKSNoMatchingKey) {
        // jose refetched if its cooldown allowed; if not, wait for our own shared refetch.
        await reloadSoon()
        const now = set.jwks()
        if (now) return createLocalJWKSet(now)(header, token)
        throw e
      }
      const lookupFailed = !(e instanceof errors.JOSEError) || e instanceof errors.JWKSTimeout
      if (lookupFailed && cached) return createLocalJWKSet(cached)(header, token)
      throw e
    }
  }
  return {
    url,
    getKey,
    keyCount,
    ensureLoaded: async () => {
      if (keyCount() > 0) return true
      try {
        await set.reload()
        lastReload = Date.now()
        return keyCount() > 0 ? true : new Error(`no keys at ${url}`)
      } catch (e) {
        return e instanceof Error ? e : new Error(String(e))
      }
    },
  }
}
