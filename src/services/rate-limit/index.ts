// Per-principal request rate limits (rate-limiter-flexible): shared by every
// API replica through Redis when REDIS_URL is set, with an in-process limiter as
// insurance that takes over while Redis is unreachable (and alone without Redis).
import Redis from "ioredis"
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible"

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number }

export const createRateLimiter = async (redis?: { url: string; keyPrefix: string }) => {
  let client: Redis | undefined
  if (redis) {
    client = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true })
    client.on("error", () => undefined)
    await client.connect().catch(() => undefined)
  }
  const limiters = new Map<number, RateLimiterAbstract>()
  const limiterFor = (perMinute: number) => {
    let l = limiters.get(perMinute)
    if (!l) {
      const memory = new RateLimiterMemory({ points: perMinute, duration: 60, keyPrefix: `rl${perMinute}` })
      l = client
        ? new RateLimiterRedis({
            storeClient: client,
            points: perMinute,
            duration: 60,
            keyPrefix: `${redis!.keyPrefix}rl${perMinute}`,
            insuranceLimiter: memory,
          })
        : memory
      limiters.set(perMinute, l)
    }
    return l
  }
  return {
    /** Takes `points` (default 1) from `key`'s budget of `perMinute` points per minute. */
    consume: async (key: string, perMinute: number, points = 1): Promise<RateDecision> => {
      try {
        await limiterFor(perMinute).consume(key, points)
        return { allowed: true }
      } catch (e) {
        if (e instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(e.msBeforeNext / 1000)) }
        // Neither store answered: fail open rather than take the API down with Redis.
        return { allowed: true }
      }
    },
    redisStatus: (): true | Error | undefined =>
      client ? (client.status === "ready" ? true : new Error(`redis ${client.status}`)) : undefined,
    close: async () => client?.disconnect(),
  }
}

export type RateLimiter = Awaited<ReturnType<typeof createRateLimiter>>
