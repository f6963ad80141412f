// Tells the stack's API processes of a change a test wrote straight to Mongo,
// as a use case (or the periodic resync) would: one event on the stack's Redis
// channel. The API and its token hook share one cache of token records, so a
// record the hook read at an exchange stays cached until such an event.
import { createInvalidationBus, InvalidationEvent } from "@/services/invalidation"
import { testStack } from "../harness/stack-state"

export const announceToStack = async (event: InvalidationEvent) => {
  const stack = testStack()
  if (!stack.urls.redis) throw new Error("the test stack has no Redis: nothing carries the event to the API")
  const bus = await createInvalidationBus({ url: stack.urls.redis, keyPrefix: stack.redisKeyPrefix ?? "" })
  try {
    await bus.publish(event)
  } finally {
    await bus.close()
  }
}
