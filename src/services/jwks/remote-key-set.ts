// A trusted issuer's remote JWKS, cached in process (jose's createRemoteJWKSet):
// an unknown `kid` triggers one refetch, then a cooldown so forged tokens cannot
// cause a refetch storm; an outage keeps the keys already cached.
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
  opts: {
    cooldownMs?: number
    timeoutMs?: number
    cacheMaxAgeMs?: number
    /** Told about every fetch of the key set (for metrics). */
    onFetch?: (result: "ok" | "error") => void
  } = {},
): RemoteKeySet => {
  const set = createRemoteJWKSet(new URL(url), {
    cooldownDuration: opts.cooldownMs ?? 30_000,
    timeoutDuration: opts.timeoutMs ?? 2_000,
    cacheMaxAge: opts.cacheMaxAgeMs ?? 10 * 60_000,
  })
  const keyCount = () => set.jwks()?.keys.length ?? 0
  // When a refetch fails (outage, timeout), keep verifying with the keys we had.
  // A fetch starts the cooldown: cooling down after a call that began outside it means it fetched.
  const fetchedDuring = (wasCoolingDown: boolean) => !wasCoolingDown && set.coolingDown
  const getKey: JWTVerifyGetKey = async (header, token) => {
    const wasCoolingDown = set.coolingDown
    try {
      const key = await set(header, token)
      if (fetchedDuring(wasCoolingDown)) opts.onFetch?.("ok")
      return key
    } catch (e) {
      if (fetchedDuring(wasCoolingDown)) opts.onFetch?.("ok")
      const cached = set.jwks()
      const lookupFailed = !(e instanceof errors.JOSEError) || e instanceof errors.JWKSTimeout
      if (lookupFailed) opts.onFetch?.("error")
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
        opts.onFetch?.("ok")
        return keyCount() > 0 ? true : new Error(`no keys at ${url}`)
      } catch (e) {
        opts.onFetch?.("error")
        return e instanceof Error ? e : new Error(String(e))
      }
    },
  }
}
