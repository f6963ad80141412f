// The whole scope map as a table: every root field of the public schema,
// called over the real transports by an anonymous caller, a user session and
// API tokens with each scope. A cell passes when shield lets the call through
// (the resolver may still refuse the dummy input) or refuses it with the code
// the scope map implies.
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
import { impliedScopes, ApiTokenScope } from "@/domain/api-tokens"
import { buildPublicSchema } from "@/graphql/public/schema"
import { FieldAccess, scopeMap } from "@/graphql/shield/scope-map"
import { testStack } from "../harness/stack-state"
import { createApiToken, accessTokenFor, gql } from "../support/api-tokens"
import { devSession } from "../support/tokens"

const schema = buildPublicSchema()
const SHIELD_CODES = ["UNAUTHENTICATED", "INSUFFICIENT_SCOPE", "API_TOKEN_NOT_ALLOWED", "FORBIDDEN"]

type Caller = { name: string; bearer?: string; scopes?: ApiTokenScope[] }

const expected = (access: FieldAccess, caller: Caller): string => {
  if (access === "public") return "allowed"
  if (!caller.bearer) return "UNAUTHENTICATED"
  if (!caller.scopes) return "allowed"
  if (access === "session-only") return "API_TOKEN_NOT_ALLOWED"
  return impliedScopes(caller.scopes).has(access) ? "allowed" : "INSUFFICIENT_SCOPE"
}

const classify = (errors: Array<{ extensions?: { code?: string } }> | undefined) => {
  const code = errors?.map((e) => e.extensions?.code).find((c) => c && SHIELD_CODES.includes(c))
  return code ?? "allowed"
}

describe("scope enforcement over the whole scope map", () => {
  let samples: Record<string, unknown>
  const callers: Caller[] = [{ name: "anonymous" }]

  beforeAll(async () => {
    const merchant = await devSession()
    const me = await gql(merchant.token, "{ me { defaultAccount { defaultWalletId } } }")
    const walletId = me.body.data.me.defaultAccount.defaultWalletId as string
    const invoice = await gql(
      merchant.token,
      `mutation { lnInvoiceCreate(input: { walletId: ${JSON.stringify(walletId)}, amount: 1000 }) { invoice { paymentRequest paymentHash } } }`,
    )
    const { paymentRequest, paymentHash } = invoice.body.data.lnInvoiceCreate.invoice
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
      callers.push({ name: `API token [${scope}]`, bearer: await accessTokenFor(t), scopes: [scope] })
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

  const overWs = (caller: Caller, doc: string) =>
    new Promise<string>((resolve) => {
      const client = createClient({
        url: testStack().urls.graphqlWs,
        webSocketImpl: WebSocket,
        connectionParams: caller.bearer ? { Authorization: `Bearer ${caller.bearer}` } : {},
        retryAttempts: 0,
      })
      const done = (outcome: string) => {
        clearTimeout(timer)
        void client.dispose()
        resolve(outcome)
      }
      // A subscription that shield lets through stays open, waiting for events.
      const timer = setTimeout(() => done("allowed"), 1500)
      client.subscribe(
        { query: doc },
        {
          next: (r) => done(classify(r.errors as never)),
          error: (e) => done(classify(Array.isArray(e) ? (e as never) : undefined)),
          complete: () => undefined,
        },
      )
    })

  const roots: Array<["query" | "mutation" | "subscription", GraphQLObjectType | null | undefined, Record<string, FieldAccess>]> = [
    ["query", schema.getQueryType(), scopeMap.Query],
    ["mutation", schema.getMutationType(), scopeMap.Mutation],
    ["subscription", schema.getSubscriptionType(), scopeMap.Subscription],
  ]

  for (const [op, type, map] of roots) {
    for (const field of Object.values(type?.getFields() ?? {})) {
      it(`${op} ${field.name} (${map[field.name]}): every caller gets what the scope map says`, async () => {
        const access = map[field.name]!
        const doc = document(op, field)
        const seen: Record<string, string> = {}
        const want: Record<string, string> = {}
        for (const caller of callers) {
          seen[caller.name] = op === "subscription" ? await overWs(caller, doc) : await overHttp(caller, doc)
          want[caller.name] = expected(access, caller)
        }
        expect(seen).toEqual(want)
      })
    }
  }
})
