// Events for GraphQL subscriptions. In one process an EventEmitter carries
// them; with Redis configured every publish goes through a Redis channel and
// each replica re-emits what it receives, so a subscriber on replica B sees an
// invoice paid on replica A. (With Redis, local delivery also comes back
// through Redis, so nothing is delivered twice.)
//
// Events are notifications of what the ledger already holds: a publish that
// fails (Redis down) is logged and dropped, never turned into an error of the
// payment that caused it — that payment moved money and must answer so.
// Subscribers that miss an event see the state on their next query.
import { EventEmitter } from "node:events"
import Redis from "ioredis"
import type { Logger } from "@/services/logger"

export type PubSub = {
  publish: (topic: string, payload: unknown) => Promise<void>
  /** An async iterator of the topic's payloads; `return()` unsubscribes. */
  subscribe: <T>(topic: string) => AsyncIterableIterator<T>
  close: () => Promise<void>
}

export const invoiceTopic = (paymentHash: string) => `invoice:${paymentHash}`
export const accountTopic = (accountId: string) => `account:${accountId}`

const iteratorOn = <T>(emitter: EventEmitter, topic: string): AsyncIterableIterator<T> => {
  const queue: T[] = []
  const waiting: Array<(r: IteratorResult<T>) => void> = []
  let done = false
  const listener = (payload: T) => {
    const w = waiting.shift()
    if (w) w({ value: payload, done: false })
    else if (queue.length < 1000) queue.push(payload)
  }
  emitter.on(topic, listener)
  const finish = async (): Promise<IteratorResult<T>> => {
    if (!done) {
      done = true
      emitter.off(topic, listener)
      for (const w of waiting.splice(0)) w({ value: undefined, done: true })
    }
    return { value: undefined, done: true }
  }
  return {
    next: () =>
      done
        ? Promise.resolve({ value: undefined, done: true })
        : queue.length
          ? Promise.resolve({ value: queue.shift()!, done: false })
          : new Promise((resolve) => waiting.push(resolve)),
    return: finish,
    throw: async (e: unknown) => {
      await finish()
      throw e
    },
    [Symbol.asyncIterator]() {
      return this
    },
  }
}

export const InProcessPubSub = (): PubSub => {
  const emitter = new EventEmitter()
  emitter.setMaxListeners(0)
  return {
    publish: async (topic, payload) => void emitter.emit(topic, payload),
    subscribe: <T>(topic: string) => iteratorOn<T>(emitter, topic),
    close: async () => void emitter.removeAllListeners(),
  }
}

export const RedisPubSub = (opts: { url: string; keyPrefix: string; logger: Logger }): PubSub => {
  const emitter = new EventEmitter()
  emitter.setMaxListeners(0)
  const channelPrefix = `${opts.keyPrefix}pubsub:`
  // No offline queue: while Redis is away a publish fails at once instead of
  // holding the payment's answer until the retries run out.
  const publisher = new Redis(opts.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
  const subscriber = new Redis(opts.url)
  const ready = subscriber.psubscribe(`${channelPrefix}*`)
  ready.catch(() => undefined)
  // This process's own subscribers get an event only once the subscription
  // stands; a publish waits for it, but not for long while Redis is away.
  const publisherReady = new Promise<void>((r) => publisher.once("ready", () => r()))
  let up = false
  const bothUp = Promise.all([ready, publisherReady]).then(() => {
    up = true
  })
  bothUp.catch(() => undefined)
  const subscribed = () => (up ? undefined : Promise.race([bothUp, new Promise<void>((r) => setTimeout(r, 1000).unref())]))
  subscriber.on("pmessage", (_pattern, channel: string, message: string) => {
    try {
      emitter.emit(channel.slice(channelPrefix.length), JSON.parse(message))
    } catch (e) {
      opts.logger.warn({ err: e instanceof Error ? e.message : String(e) }, "pubsub: bad message ignored")
    }
  })
  for (const c of [publisher, subscriber]) {
    c.on("error", (e: Error) => opts.logger.warn({ err: e.message }, "pubsub: redis error"))
  }
  return {
    publish: async (topic, payload) => {
      try {
        await subscribed()
        await publisher.publish(`${channelPrefix}${topic}`, JSON.stringify(payload))
      } catch (e) {
        opts.logger.warn({ err: e instanceof Error ? e.message : String(e), topic }, "pubsub: event not published")
      }
    },
    subscribe: <T>(topic: string) => iteratorOn<T>(emitter, topic),
    close: async () => {
      emitter.removeAllListeners()
      subscriber.disconnect()
      publisher.disconnect()
    },
  }
}
