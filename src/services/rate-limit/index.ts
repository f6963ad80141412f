// Per-principal request rate limits: a fixed window of 60 s per key, shared by
// every API replica through Redis when REDIS_URL is set, with an in-process
// limiter (rate-limiter-flexible's memory limiter) as insurance that takes over
// while Redis is unreachable, and alone without Redis.
//
// The Redis window is counted by a script of ours rather than by
// rate-limiter-flexible's RateLimiterRedis, which asks Redis at every request:
// that round trip was about a sixth of the API's CPU per request (npm run bench,
// rows 1–5). Here a replica takes a few points ahead (`leaseAhead`: 2 % of the
// budget, at most 16) and spends them in process, so most requests make no
// Redis call. Points are taken from Redis before they are spent, so the budget
// is never exceeded, on one replica or many; what a replica took ahead and did
// not spend by the window's end is lost, so with N replicas a caller can be
// refused up to N × leaseAhead points early. A budget of fewer than 100 points
// a minute takes nothing ahead and is exact. A spent window is remembered in
// process until it ends: refused callers cost no Redis call either.
import Redis from "ioredis"
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible"

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number }

const WINDOW_MS = 60_000
/**
 * Keys this process holds a lease or a spent window of, at most (one per caller
 * address for anonymous calls): past it, nothing more is taken ahead or
 * remembered, which costs Redis calls but never admits more.
 */
const MAX_LEASES = 50_000

/** Points a replica takes from Redis ahead of need, for a budget of `perMinute`. */
export const leaseAhead = (perMinute: number) => (perMinute < 100 ? 0 : Math.min(16, Math.floor(perMinute / 50)))

// KEYS[1] the window's counter; ARGV: limit, points needed now, points wanted ahead, window ms.
// Returns {taken, ms left in the window, points left after}: taken 0 when the points needed now are not left.
const TAKE_SCRIPT = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local limit = tonumber(ARGV[1])
local need = tonumber(ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if used + need > limit then
  return {0, ttl, limit - used}
end
local take = need + math.min(tonumber(ARGV[3]), limit - used - need)
redis.call('INCRBY', KEYS[1], take)
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  ttl = tonumber(ARGV[4])
end
return {take, ttl, limit - used - take}
`

type RedisWithTake = Redis & { rateLimitTake: (key: string, limit: number, need: number, ahead: number, windowMs: number) => Promise<[number, number, number]> }

/** What this process holds of one key's current window: points taken and not yet spent, or a spent window. */
type Lease = { left: number; until: number; spent: boolean }

/** Whole seconds to wait, at least 1 (Retry-After). */
const retryAfter = (ms: number): RateDecision => ({ allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)) })
const now = () => performance.now()

export const createRateLimiter = async (redis?: { url: string; keyPrefix: string }) => {
  let client: RedisWithTake | undefined
  if (redis) {
    client = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true }) as RedisWithTake
    client.defineCommand("rateLimitTake", { numberOfKeys: 1, lua: TAKE_SCRIPT })
    client.on("error", () => undefined)
    await client.connect().catch(() => undefined)
  }
  const memory = new Map<number, RateLimiterMemory>()
  const memoryFor = (perMinute: number) => {
    let l = memory.get(perMinute)
    if (!l) memory.set(perMinute, (l = new RateLimiterMemory({ points: perMinute, duration: WINDOW_MS / 1000, keyPrefix: `rl${perMinute}` })))
    return l
  }
  const leases = new Map<string, Lease>()

  const consumeInMemory = async (key: string, perMinute: number, points: number): Promise<RateDecision> => {
    try {
      await memoryFor(perMinute).consume(key, points)
      return { allowed: true }
    } catch (e) {
      if (e instanceof RateLimiterRes) return retryAfter(e.msBeforeNext)
      return { allowed: true }
    }
  }

  const consumeInRedis = async (c: RedisWithTake, key: string, perMinute: number, points: number): Promise<RateDecision> => {
    // The same key layout as rate-limiter-flexible's: <prefix>rl<perMinute>:<key>.
    const redisKey = `${redis!.keyPrefix}rl${perMinute}:${key}`
    const t = now()
    let lease = leases.get(redisKey)
    if (lease && t >= lease.until) {
      leases.delete(redisKey)
      lease = undefined
    }
    if (lease?.spent) return retryAfter(lease.until - t)
    if (lease && lease.left >= points) {
      lease.left -= points
      return { allowed: true }
    }
    // What this process holds of the window goes into this request; concurrent
    // requests of the key then take their own points from Redis meanwhile.
    const held = lease?.left ?? 0
    if (lease) lease.left = 0
    const [taken, msLeft, pointsLeft] = await c.rateLimitTake(redisKey, perMinute, points - held, leaseAhead(perMinute), WINDOW_MS)
    const after = now()
    const keep = (left: number, spent: boolean) => {
      const current = leases.get(redisKey)
      if (current && !current.spent && after < current.until) current.left += left
      else if ((left > 0 || spent) && leases.size < MAX_LEASES) leases.set(redisKey, { left, until: after + Math.max(0, msLeft), spent: spent && left === 0 })
      else leases.delete(redisKey)
    }
    if (taken === 0) {
      // Not enough left in Redis for this request. Requests of the same key that
      // were in flight meanwhile may have left points here: those are ours to spend.
      keep(held, pointsLeft <= 0)
      const current = leases.get(redisKey)
      if (current && !current.spent && current.left >= points) {
        current.left -= points
        return { allowed: true }
      }
      // Nothing left for any replica: the window is remembered as spent until it ends.
      if (current && pointsLeft <= 0 && current.left === 0) current.spent = true
      return retryAfter(msLeft)
    }
    keep(held + taken - points, false)
    return { allowed: true }
  }

  // Leases of windows that ended, dropped once a minute (a key seen once must not stay forever).
  const sweep = setInterval(() => {
    const t = now()
    for (const [k, l] of leases) if (t >= l.until) leases.delete(k)
  }, WINDOW_MS)
  sweep.unref()

  return {
    /** Takes `points` (default 1) from `key`'s budget of `perMinute` points per minute. */
    consume: async (key: string, perMinute: number, points = 1): Promise<RateDecision> => {
      if (client?.status === "ready") {
        try {
          return await consumeInRedis(client, key, perMinute, points)
        } catch {
          // Redis failed mid-call: the in-process limiter decides, as while it is away.
        }
      }
      return consumeInMemory(key, perMinute, points)
    },
    redisStatus: (): true | Error | undefined =>
      client ? (client.status === "ready" ? true : new Error(`redis ${client.status}`)) : undefined,
    close: async () => {
      clearInterval(sweep)
      client?.disconnect()
    },
  }
}

export type RateLimiter = Awaited<ReturnType<typeof createRateLimiter>>
