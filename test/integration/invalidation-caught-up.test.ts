// InvalidationBus.caughtUp on the stack's Redis: what the token hook relies on
// before it trusts a cached record. Two buses stand for two API replicas.
import { randomBytes } from "node:crypto"
import { createInvalidationBus, InvalidationBus, InvalidationEvent } from "@/services/invalidation"
import { testStack } from "../harness/stack-state"

const stack = testStack()

describe("InvalidationBus.caughtUp over Redis", () => {
  let here: InvalidationBus
  let there: InvalidationBus
  beforeAll(async () => {
    expect(stack.urls.redis).toBeDefined()
    // A prefix of this file's own: the stack's API processes do not see these events.
    const redis = { url: stack.urls.redis!, keyPrefix: `${stack.redisKeyPrefix ?? ""}caught-up-${randomBytes(3).toString("hex")}:` }
    here = await createInvalidationBus(redis)
    there = await createInvalidationBus(redis)
  })
  afterAll(async () => {
    await here?.close()
    await there?.close()
  })

  it("resolves true only once every event another replica published before the call has been applied here", async () => {
    const seen: InvalidationEvent[] = []
    here.onInvalidated((e) => seen.push(e))
    for (let i = 0; i < 50; i++) {
      const event = { tokenId: `tok-${i}`, revoked: true as const }
      await there.publish(event)
      expect(await here.caughtUp()).toBe(true)
      expect(seen.at(-1)).toEqual(event)
      expect(here.isRevoked(event.tokenId)).toBe(true)
    }
  })
})
