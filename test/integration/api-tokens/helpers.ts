// Shared set-up for the API-token integration tests: the use cases run in this
// process against the stack's real FerretDB and Hydra; the token hook they
// trigger runs in the stack's API process, on the same database. Their events
// go out on the stack's Redis channel, as from another replica, so the API
// process (and the token hook's cache in it) learns them.
import { decodeJwt } from "jose"
import { ApiTokensDeps, createApiTokensDeps, ManagementCaller } from "@/app/api-tokens"
import { HydraAdmin } from "@/services/hydra"
import { createInvalidationBus, createLocalInvalidationBus, InvalidationBus, InvalidationEvent } from "@/services/invalidation"
import { AccountsRepository } from "@/services/mongoose/accounts"
import "@/services/mongoose/api-tokens"
import { connectMongo, disconnectMongo } from "@/services/mongoose/connection"
import { testStack } from "../../harness/stack-state"
import { randomPhone } from "../../support/phone"

export const stack = testStack()

// The bus of this file's set-up, closed by tearDown.
let bus: InvalidationBus | undefined

/** Connects to the stack and builds the deps every use case of the file is called with. */
export const setUp = async (policy: Partial<ApiTokensDeps["policy"]> = {}): Promise<ApiTokensDeps> => {
  await connectMongo(stack.urls.mongodb)
  bus = stack.urls.redis
    ? await createInvalidationBus({ url: stack.urls.redis, keyPrefix: stack.redisKeyPrefix ?? "" })
    : createLocalInvalidationBus()
  return createApiTokensDeps({
    invalidation: bus,
    hydra: HydraAdmin({ adminUrl: stack.urls.hydraAdmin }),
    policy: {
      tokenEndpoint: stack.urls.tokenEndpoint,
      graphqlUrl: stack.urls.graphql,
      accessTokenLifespanSeconds: 120,
      maxActivePerAccount: 25,
      maxExpiresInSeconds: 365 * 24 * 3600,
      ...policy,
    },
  })
}
export const tearDown = async () => {
  await bus?.close()
  bus = undefined
  await disconnectMongo()
}

/** Tells every API process of a change this test wrote straight to Mongo, as a use case (or the resync) would. */
export const announce = (event: InvalidationEvent) => {
  if (!bus) throw new Error("announce before setUp")
  return bus.publish(event)
}

export const newMerchant = async () => {
  const phone = randomPhone()
  const r = await AccountsRepository().findOrCreateByPhone(phone)
  if (r instanceof Error) throw r
  const caller: ManagementCaller = { kind: "user", domainAccount: r.account }
  return { ...r, caller }
}

export type Exchange = { status: number; body: Record<string, unknown>; claims?: Record<string, unknown> }

/** The client-credentials grant, as curl/Postman/BTCPay do it. */
export const exchange = async (
  clientId: string,
  clientSecret: string,
  opts: { scope?: string; method?: "basic" | "post" } = {},
): Promise<Exchange> => {
  const form = new URLSearchParams({ grant_type: "client_credentials" })
  if (opts.scope) form.set("scope", opts.scope)
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" }
  if ((opts.method ?? "basic") === "basic") {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString("base64")}`
  } else {
    form.set("client_id", clientId)
    form.set("client_secret", clientSecret)
  }
  const res = await fetch(stack.urls.tokenEndpoint, { method: "POST", headers, body: form })
  const body = (await res.json()) as Record<string, unknown>
  return {
    status: res.status,
    body,
    claims: typeof body.access_token === "string" ? decodeJwt(body.access_token) : undefined,
  }
}

export const hydraClient = async (clientId: string) => {
  const res = await fetch(`${stack.urls.hydraAdmin}/admin/clients/${encodeURIComponent(clientId)}`)
  return { status: res.status, body: res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined }
}

// `Exclude`, not `(v: T | Error): T`: an error class with its own `code` is no
// longer structurally identical to Error, so inference would keep it in T.
export const unwrap = <T>(v: T): Exclude<T, Error> => {
  if (v instanceof Error) throw new Error(`expected a value, got ${v.name}: ${v.message}`)
  return v as Exclude<T, Error>
}

// Time travel for the cleanup job, written as an operator would write it
// straight to Mongo: the time and its day (src/services/mongoose/time-buckets.ts).
const dayOf = (at: Date) => String(Math.floor(at.getTime() / 86_400_000))
/** The record says it expired a second ago. */
export const expiredNow = () => {
  const expiresAt = new Date(Date.now() - 1000)
  return { expiresAt, expiryBucket: dayOf(expiresAt) }
}
/** The record says its secret was issued at `at`. */
export const secretIssued = (at: Date) => ({ secretCreatedAt: at, secretBucket: dayOf(at) })
