// The whole scope policy as a table: every root field of the public schema,
// called over the real transports by an anonymous caller, a user session and
// API tokens with each scope. The expected cell comes from the hand-written
// policy (test/support/scope-policy.ts), never from the scope map under test.
// A query or mutation cell is "allowed" when shield lets the call through (the
// resolver may still refuse the dummy input; test/e2e/scope-payments.test.ts
// shows money really moving or not); a subscription cell is "allowed" only
// when data for the field arrives — a close or silence is a failure.
import { createClient } from "graphql-ws"
import {
  GraphQLArgument,
  GraphQLField,
  GraphQLInputType,
  GraphQLObjectType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  getNamedType,
  isLeafType,
} from "graphql"
import WebSocket from "ws"
import { buildPublicSchema } from "@/graphql/public/schema"
import { testStack } from "../harness/stack-state"
import { createApiToken, accessTokenFor, gql } from "../support/api-tokens"
import { OUTCOME, PolicyCaller, policyOf, SCOPE_POLICY } from "../support/scope-policy"
import { devSession } from "../support/tokens"

const schema = buildPublicSchema()
const SHIELD_CODES = ["UNAUTHENTICATED", "INSUFFICIENT_SCOPE", "API_TOKEN_NOT_ALLOWED", "FORBIDDEN"]

type Caller = { name: PolicyCaller; bearer?: string }

const classify = (errors: Array<{ extensions?: { code?: string } }> | undefined) => {
  const code = errors?.map((e) => e.extensions?.code).find((c) => c && SHIELD_CODES.includes(c))
  return code ?? "allowed"
}

describe("scope enforcement over the whole scope map", () => {
  let samples: Record<string, unknown>
  let merchantToken: string
  let merchantWalletId: string
  const callers: Caller[] = [{ name: "anonymous" }]

  /** A new invoice of the merchant, paid by the sandbox payer: an event for the merchant's myUpdates. */
  const payMerchant = async () => {
    const inv = await gql(
      merchantToken,
      `mutation { lnInvoiceCreate(input: { walletId: ${JSON.stringify(merchantWalletId)}, amount: 1 }) { invoice { paymentRequest } } }`,
    )
    await fetch(`${testStack().urls.api}/dev/lightning/pay`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ paymentRequest: inv.body.data.lnInvoiceCreate.invoice.paymentRequest }),
    })
  }

  beforeAll(async () => {
    const merchant = await devSession()
    const me = await gql(merchant.token, "{ me { defaultAccount { defaultWalletId } } }")
    const walletId = me.body.data.me.defaultAccount.defaultWalletId as string
    const invoice = await gql(
      merchant.token,
      `mutation { lnInvoiceCreate(input: { walletId: ${JSON.stringify(walletId)}, amount: 1000 }) { invoice { paymentRequest paymentHash } } }`,
    )
    const { paymentRequest, paymentHash } = invoice.body.data.lnInvoiceCreate.invoice
    merchantToken = merchant.token
    merchantWalletId = walletId
    // Paid, so that lnInvoicePaymentStatus answers at once (PAID) to every caller it lets through.
    const paid = await fetch(`${testStack().urls.api}/dev/lightning/pay`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ paymentRequest }),
    })
    expect(paid.status).toBe(200)
    samples = {
      String: "sample",
      ID: "00000000-0000-4000-8000-000000000000",
      Int: 1,
      Float: 1,
      Boolean: false,
      WalletId: walletId,
      LnPaymentRequest: paymentRequest,
      PaymentHash: paymentHash,
      Memo: "sample",
      SatAmount: 1,
      CentAmount: 1,
      FractionalCentAmount: 1,
      SafeInt: 1,
      Minutes: 5,
      Username: "sample",
      DisplayCurrency: "USD",
      ApiTokenScope: "read",
    }
    callers.push({ name: "user session", bearer: merchant.token })
    for (const scope of ["read", "receive", "write"] as const) {
      const t = await createApiToken(merchant.token, { scopes: [scope] })
      callers.push({ name: `API token [${scope}]`, bearer: await accessTokenFor(t) })
    }
  })

  const literal = (type: GraphQLInputType): string => {
    if (isNonNullType(type)) return literal(type.ofType)
    if (isListType(type)) return `[${literal(type.ofType)}]`
    if (isEnumType(type)) return type.getValues()[0]!.name
    if (isInputObjectType(type)) {
      const required = Object.values(type.getFields()).filter((f) => isNonNullType(f.type) && f.defaultValue === undefined)
      return `{ ${required.map((f) => `${f.name}: ${literal(f.type)}`).join(", ")} }`
    }
    if (isScalarType(type)) {
      if (!(type.name in samples)) throw new Error(`add a sample value for scalar ${type.name} to this test`)
      return JSON.stringify(samples[type.name])
    }
    throw new Error(`unexpected input type ${String(type)}`)
  }

  const document = (op: "query" | "mutation" | "subscription", field: GraphQLField<unknown, unknown>) => {
    const args = field.args.filter((a: GraphQLArgument) => isNonNullType(a.type))
    const argText = args.length ? `(${args.map((a) => `${a.name}: ${literal(a.type)}`).join(", ")})` : ""
    const selection = isLeafType(getNamedType(field.type)) ? "" : " { __typename }"
    return `${op} { ${field.name}${argText}${selection} }`
  }

  const overHttp = async (caller: Caller, doc: string) => classify((await gql(caller.bearer, doc)).body.errors)

  /**
   * A subscription's real outcome: "allowed" when data for the field arrives,
   * the shield's code when it refuses, anything else ("closed", "no answer")
   * fails the cell. While waiting, the merchant is paid again and again, so a
   * subscription to account events has something to deliver.
   */
  const overWs = (caller: Caller, doc: string, field: string) =>
    new Promise<string>((resolve) => {
      const client = createClient({
        url: testStack().urls.graphqlWs,
        webSocketImpl: WebSocket,
        connectionParams: caller.bearer ? { Authorization: `Bearer ${caller.bearer}` } : {},
        retryAttempts: 0,
        on: { closed: (e) => done(`closed (${(e as { code?: number }).code ?? "?"})`) },
      })
      let settled = false
      const done = (outcome: string) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        clearInterval(trigger)
        void client.dispose()
        resolve(outcome)
      }
      const timer = setTimeout(() => done("no answer in 30 s"), 30_000)
      const trigger = setInterval(() => void payMerchant().catch(() => undefined), 700)
      client.subscribe(
        { query: doc },
        {
          next: (r) => {
            const code = classify(r.errors as never)
            if (code !== "allowed") return done(code)
            done(r.data?.[field] ? "allowed" : `no data: ${JSON.stringify(r)}`)
          },
          error: (e) => done(Array.isArray(e) ? classify(e as never) : `error: ${String(e)}`),
          complete: () => done("completed without data"),
        },
      )
    })

  const roots: Array<["query" | "mutation" | "subscription", GraphQLObjectType | null | undefined, keyof typeof SCOPE_POLICY]> = [
    ["query", schema.getQueryType(), "Query"],
    ["mutation", schema.getMutationType(), "Mutation"],
    ["subscription", schema.getSubscriptionType(), "Subscription"],
  ]

  for (const [op, type, root] of roots) {
    for (const field of Object.values(type?.getFields() ?? {})) {
      const access = policyOf(root, field.name)
      it(`${op} ${field.name} (${access ?? "not in the policy"}): every caller gets what the hand-written policy says`, async () => {
        expect({ field: field.name, access }).toEqual({ field: field.name, access: expect.any(String) })
        const doc = document(op, field)
        const seen: Record<string, string> = {}
        for (const caller of callers) {
          seen[caller.name] = op === "subscription" ? await overWs(caller, doc, field.name) : await overHttp(caller, doc)
        }
        expect(seen).toEqual(OUTCOME[access!])
      }, 180_000)
    }
  }
})
