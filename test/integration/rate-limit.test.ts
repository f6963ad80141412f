// The rate limiter against the real Redis (services/rate-limit): replicas take a
// few points ahead of need and spend them in process, yet a budget is never
// exceeded, on one replica or two, in sequence or all at once; a budget under
// 100 a minute is exact; a spent window is refused without asking Redis again.
// On a Redis key prefix of this file's own.
import { randomBytes } from "node:crypto"
import Redis from "ioredis"
import { createRateLimiter, leaseAhead, RateDecision, RateLimiter } from "@/services/rate-limit"
import { deleteRedisKeys } from "@/stack/scratch-services"
import { testStack } from "../harness/stack-state"

const redisUrl = testStack().urls.redis
const prefix = `flash-test-rl-${randomBytes(4).toString("hex")}:`
const opened: RateLimiter[] = []
let redis: Redis

/** The limiter of one API replica: same Redis, same prefix. */
const replica = async () => {
  if (!redisUrl) throw new Error("this file needs the stack's Redis (REDIS_URL); the test stack starts with the machine's Redis")
  const limiter = await createRateLimiter({ url: redisUrl, keyPrefix: prefix })
  opened.push(limiter)
  return limiter
}
const counterOf = async (perMinute: number, key: string) => Number((await redis.get(`${prefix}rl${perMinute}:${key}`)) ?? 0)
const allowed = (ds: RateDecision[]) => ds.filter((d) => d.allowed).length

beforeAll(() => {
  redis = new Redis(redisUrl!)
})
afterAll(async () => {
  await Promise.all(opened.map((l) => l.close()))
  redis.disconnect()
  await deleteRedisKeys(redisUrl!, prefix)
})

describe("the rate limiter on Redis", () => {
  it("takes 2 % of a budget ahead (at most 16 points) and nothing below 100 a minute", () => {
    expect([10, 99, 100, 300, 600, 1200, 100_000_000].map(leaseAhead)).toEqual([0, 0, 2, 6, 12, 16, 16])
  })

  it("asks Redis once per lease: the window's counter moves by the points taken ahead, not per request", async () => {
    const a = await replica()
    const key = `t:${randomBytes(4).toString("hex")}`
    expect((await a.consume(key, 300)).allowed).toBe(true)
    expect(await counterOf(300, key)).toBe(1 + leaseAhead(300))
    for (let i = 0; i < leaseAhead(300); i++) expect((await a.consume(key, 300)).allowed).toBe(true)
    expect(await counterOf(300, key)).toBe(1 + leaseAhead(300))
    expect((await a.consume(key, 300)).allowed).toBe(true)
    expect(await counterOf(300, key)).toBe(2 * (1 + leaseAhead(300)))
  })

  it("never admits more than the budget across two replicas, in turn, and refuses at most 2 × the lease early", async () => {
    const [a, b] = [await replica(), await replica()]
    const key = `t:${randomBytes(4).toString("hex")}`
    const decisions: RateDecision[] = []
    for (let i = 0; i < 700; i++) decisions.push(await (i % 3 === 0 ? b : a).consume(key, 500))
    expect(allowed(decisions)).toBeLessThanOrEqual(500)
    expect(allowed(decisions)).toBeGreaterThanOrEqual(500 - 2 * leaseAhead(500))
    expect(await counterOf(500, key)).toBeLessThanOrEqual(500)
  })

  it("never admits more than the budget to requests that all arrive at once on two replicas", async () => {
    const [a, b] = [await replica(), await replica()]
    const key = `t:${randomBytes(4).toString("hex")}`
    const decisions = await Promise.all(Array.from({ length: 400 }, (_, i) => (i % 2 ? a : b).consume(key, 200)))
    expect(allowed(decisions)).toBeLessThanOrEqual(200)
    expect(allowed(decisions)).toBeGreaterThanOrEqual(200 - 2 * leaseAhead(200))
  })

  it("is exact under 100 a minute on two replicas: 10 of 10, then TOO_MANY with a Retry-After inside the window", async () => {
    const [a, b] = [await replica(), await replica()]
    const key = `t:${randomBytes(4).toString("hex")}`
    const decisions: RateDecision[] = []
    for (let i = 0; i < 12; i++) decisions.push(await (i % 2 ? a : b).consume(key, 10))
    expect(decisions.map((d) => d.allowed)).toEqual([...Array(10).fill(true), false, false])
    const refused = decisions[11] as { allowed: false; retryAfterSeconds: number }
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1)
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60)
  })

  it("charges a request of several points (a costly query) against the same budget", async () => {
    const a = await replica()
    const key = `t:${randomBytes(4).toString("hex")}`
    expect((await a.consume(key, 10, 4)).allowed).toBe(true)
    expect((await a.consume(key, 10, 4)).allowed).toBe(true)
    expect((await a.consume(key, 10, 4)).allowed).toBe(false)
    expect((await a.consume(key, 10, 2)).allowed).toBe(true)
    expect((await a.consume(key, 10)).allowed).toBe(false)
    expect(await counterOf(10, key)).toBe(10)
  })

  it("remembers a spent window in process: still refused after the counter is gone from Redis, until the window ends", async () => {
    const a = await replica()
    const key = `t:${randomBytes(4).toString("hex")}`
    for (let i = 0; i < 3; i++) expect((await a.consume(key, 3)).allowed).toBe(true)
    expect((await a.consume(key, 3)).allowed).toBe(false)
    await redis.del(`${prefix}rl3:${key}`)
    expect((await a.consume(key, 3)).allowed).toBe(false)
    // Another replica, which never saw the window spent, asks Redis: a new window.
    expect((await (await replica()).consume(key, 3)).allowed).toBe(true)
  })
})
