import { GraphQLInterfaceType, GraphQLObjectType } from "graphql"
import { loadConfig } from "@/config"
import { createQueryLimits, QueryLimitsConfig, QueryTooComplex, rateLimitPoints } from "@/graphql/limits"
import { buildPublicSchema } from "@/graphql/public/schema"
import {
  aliased,
  anonymousDefaultWallet,
  clientDocuments,
  deepIntrospection,
  fragmentSpreads,
  introspectionDocuments,
  postmanDocuments,
  tokenPageDocuments,
  transactionsWithBalances,
} from "../support/query-documents"
import { btcpayPluginDocuments } from "../support/btcpay-plugin-documents"

const schema = buildPublicSchema()
const defaults = loadConfig({ TOKEN_HOOK_SECRET: "x".repeat(32), FLASH_DEV_MODE: "true" }).queryLimits
const limitsWith = (overrides: Partial<QueryLimitsConfig> = {}) => createQueryLimits(schema, { ...defaults, ...overrides })
const limits = limitsWith()

const refusal = (query: string, variables?: Record<string, unknown>, l = limits) => {
  const r = l.admit({ query, variables })
  if (!(r instanceof QueryTooComplex)) throw new Error(`expected a refusal, got cost ${r.cost}`)
  return r
}
const costOf = (query: string, variables?: Record<string, unknown>, l = limits) => {
  const r = l.admit({ query, variables })
  if (r instanceof QueryTooComplex) throw new Error(`expected admission, got ${r.message}`)
  return r.cost
}

describe("query limits: what known clients send passes with the defaults", () => {
  it("reads the 21 plugin documents (the history one at each of its 5 page sizes), the token page's 6 and Postman's", () => {
    expect(btcpayPluginDocuments).toHaveLength(25)
    expect(tokenPageDocuments().length).toBeGreaterThanOrEqual(6)
    expect(postmanDocuments().length).toBeGreaterThanOrEqual(4)
  })

  it.each(clientDocuments().map((d) => [d.source, d.query] as const))("admits %s", (_source, query) => {
    expect(limits.admit({ query })).not.toBeInstanceOf(QueryTooComplex)
  })

  it("admits the plugin's largest read, 100 transactions of both wallets, at its full cost", () => {
    const history = btcpayPluginDocuments.find((d) => d.source.endsWith("(limit 100)"))!
    // me 1 + defaultAccount 1 + wallets 1 + 2 × (id 1 + transactions 1 + 100 × (edges 1 + node 1 + 6 fields))
    expect(costOf(history.query)).toBe(1607)
  })

  it("admits the token page's usage chart: apiTokenAuditEvents(first: 500), that field's own documented maximum", () => {
    const usage = tokenPageDocuments().find((d) => d.source.endsWith("Q.usage"))!
    expect(costOf(usage.query, { tokenId: null })).toBe(1 + 500 * 3)
  })
})

describe("query limits: each limit refuses with its own name, the limit and what was found", () => {
  it("depth: a 40-level introspection is refused, while a full introspection query passes", () => {
    const r = refusal(deepIntrospection(40))
    expect(r).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "depth", maximum: defaults.maxDepth, found: 42 })
    expect(r.message).toMatch(/depth 42 above the limit of 20/)
    for (const d of introspectionDocuments()) expect(limits.admit({ query: d.query })).not.toBeInstanceOf(QueryTooComplex)
    expect(refusal(deepIntrospection(4), undefined, limitsWith({ maxDepth: 5 })).limit).toBe("depth")
    expect(limitsWith({ maxDepth: 6 }).admit({ query: deepIntrospection(4) })).not.toBeInstanceOf(QueryTooComplex)
  })

  it("aliases: one more than the limit is refused, counted through fragments", () => {
    const nested = (n: number) => `{ globals { ${Array.from({ length: n }, (_, i) => `a${i}: network`).join(" ")} } }`
    expect(refusal(nested(16))).toMatchObject({ limit: "aliases", maximum: 15, found: 16 })
    expect(costOf(nested(15))).toBeGreaterThan(0)
    // 2 aliases in a fragment spread 8 times: 16 aliases.
    const spread = fragmentSpreads(8, "x: globals { network } y: globals { nodesIds }")
    expect(refusal(spread)).toMatchObject({ limit: "aliases", found: 16 })
  })

  it("rootFields: more top-level fields than the limit, even unaliased repeats and through fragments", () => {
    expect(refusal(`{ ${"globals { network } ".repeat(11)}}`)).toMatchObject({ limit: "rootFields", maximum: 10, found: 11 })
    expect(costOf(`{ ${"globals { network } ".repeat(10)}}`)).toBeGreaterThan(0)
    expect(refusal(fragmentSpreads(11))).toMatchObject({ limit: "rootFields", found: 11 })
    expect(costOf(`{ __typename ${"globals { network } ".repeat(10)}}`)).toBeGreaterThan(0) // __typename is free
  })

  it("tokens: a document longer than the limit is refused while it is being read", () => {
    const padding = "network ".repeat(1000)
    expect(refusal(`{ globals { ${padding} } }`)).toMatchObject({ limit: "tokens", maximum: 1000 })
    expect(limitsWith({ maxTokens: 1010 }).admit({ query: `{ globals { ${padding} } }` })).not.toBeInstanceOf(QueryTooComplex)
  })

  it("directives: more directives than the limit", () => {
    const q = (n: number) => `{ globals { ${"network @include(if: true) ".repeat(n)}} }`
    expect(refusal(q(51))).toMatchObject({ limit: "directives", maximum: 50, found: 51 })
    expect(costOf(q(50))).toBeGreaterThan(0)
  })

  it("listSize: first or last above the cap, as a literal or a variable, on every paged field", () => {
    const tx = (args: string) => `query${args.includes("$n") ? "($n: Int)" : ""} { me { defaultAccount { transactions(${args}) { edges { node { id } } } } } }`
    expect(refusal(tx("first: 101"))).toMatchObject({ limit: "listSize", maximum: 100, found: 101 })
    expect(refusal(tx("last: 101"))).toMatchObject({ limit: "listSize", found: 101 })
    expect(refusal(tx("first: $n"), { n: 1000 })).toMatchObject({ limit: "listSize", found: 1000 })
    expect(costOf(tx("first: $n"), { n: 100 })).toBe(1 + 1 + 1 + 100 * 3)
    const walletTx = "{ me { defaultAccount { wallets { transactions(first: 101) { edges { node { id } } } } } } }"
    expect(refusal(walletTx)).toMatchObject({ limit: "listSize" })
    expect(refusal("{ apiTokenAuditEvents(first: 501) { type } }")).toMatchObject({ limit: "listSize", maximum: 500 })
    expect(refusal(tx("first: 51"), undefined, limitsWith({ maxListSize: 50 }))).toMatchObject({ maximum: 50 })
  })

  it("listSize: the schema's list-size arguments are all on fields the limits know", () => {
    const paged = new Set<string>()
    for (const type of Object.values(schema.getTypeMap())) {
      if (!(type instanceof GraphQLObjectType || type instanceof GraphQLInterfaceType) || type.name.startsWith("__")) continue
      for (const f of Object.values(type.getFields())) {
        if (f.args.some((a) => a.name === "first" || a.name === "last")) paged.add(f.name)
      }
    }
    // A new paged field is capped by GRAPHQL_MAX_LIST_SIZE and costed at that
    // page size; list it in PAGED_FIELDS if its default page differs.
    expect([...paged].sort()).toEqual(["apiTokenAuditEvents", "transactions"])
  })

  it("cost: lists are multiplied by their page size, and the budget refuses what exceeds it", () => {
    const one = costOf(aliased(1, transactionsWithBalances))
    expect(one).toBe(1 + 1 + 1 + 2 * (1 + 1) + 1 + 100 * (1 + 1 + 7))
    expect(costOf(aliased(5, transactionsWithBalances))).toBe(5 * one)
    expect(refusal(aliased(6, transactionsWithBalances))).toMatchObject({ limit: "cost", maximum: 5000, found: 6 * one })
  })

  it("cost: 500 spreads of a fragment cost 500 times the fragment", () => {
    const roomy = limitsWith({ maxTokens: 10_000, maxRootFields: 10_000, maxCost: 1_000_000 })
    const once = costOf(fragmentSpreads(1), undefined, roomy)
    expect(costOf(fragmentSpreads(500), undefined, roomy)).toBe(500 * once)
    const tight = limitsWith({ maxTokens: 10_000, maxRootFields: 10_000, maxCost: 499 * once })
    expect(refusal(fragmentSpreads(500), undefined, tight)).toMatchObject({ limit: "cost" })
  })

  it("cost: a fragment tree whose expansion explodes is refused without walking it", () => {
    // 8 levels of 8 spreads each: 8^8 (16.7 million) fields once expanded, from a few hundred tokens.
    const levels = 8
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === levels - 1
        ? `fragment F${i} on Query { globals { network } }`
        : `fragment F${i} on Query { ${`...F${i + 1} `.repeat(8)}}`,
    ).join(" ")
    const query = `query Boom { ...F0 } ${fragments}`
    expect(refusal(query, undefined, limitsWith({ maxRootFields: 1e9 }))).toMatchObject({ limit: "cost" })
  })
})

describe("query limits: the attack's documents are refused", () => {
  it.each([
    ["200 aliases of me → transactions(first: 100) with balances", aliased(200, transactionsWithBalances)],
    ["300 aliases of the anonymous accountDefaultWallet", aliased(300, anonymousDefaultWallet)],
    ["2,000 aliases", aliased(2000, "globals { network }")],
    ["500 fragment spreads", fragmentSpreads(500)],
    ["a 40-level introspection", deepIntrospection(40)],
  ])("refuses %s", (_name, query) => {
    expect(refusal(query).code).toBe("QUERY_TOO_COMPLEX")
  })

  it("refuses them with the limits that bound them when the token limit is lifted", () => {
    const noTokenLimit = limitsWith({ maxTokens: 1e9 })
    expect(refusal(aliased(200, transactionsWithBalances), undefined, noTokenLimit).limit).toBe("aliases")
    expect(refusal(aliased(300, anonymousDefaultWallet), undefined, noTokenLimit).limit).toBe("aliases")
    expect(refusal(fragmentSpreads(500), undefined, noTokenLimit).limit).toBe("rootFields")
  })
})

describe("query limits: documents the limits cannot judge are left to GraphQL", () => {
  it("admits at no cost what does not parse, does not validate, or has no text (the transport refuses it)", () => {
    expect(limits.admit({ query: "{ me { " })).toEqual({ cost: 0 })
    expect(limits.admit({ query: "{ noSuchField }" })).toEqual({ cost: 0 })
    expect(limits.admit({ query: "query { ...A } fragment A on Query { ...A }" })).toEqual({ cost: 0 })
    expect(limits.admit({})).toEqual({ cost: 0 })
    expect(limits.admit({ query: "query($n: Int!) { me { id } }", variables: { n: "x" } })).toEqual({ cost: 0 })
  })

  it("admits a mutation at its cost once its variables are given", () => {
    const create = btcpayPluginDocuments.find((d) => d.source === "Services/FlashSimpleInvoiceService.cs:71")!
    const cost = costOf(create.query, { input: { walletId: "w", amount: 1 } })
    expect(cost).toBe(1 + 1 + 4 + 1 + 1)
  })
})

describe("rate-limit points", () => {
  it("keeps the plugin's 1 s Boltcard poll (wallets, then 20 transactions) within half the API-token default", () => {
    const config = loadConfig({ TOKEN_HOOK_SECRET: "x".repeat(32), FLASH_DEV_MODE: "true" })
    const wallets = btcpayPluginDocuments.find((d) => d.source === "Services/FlashGraphQLService.cs:222")!
    const history20 = btcpayPluginDocuments.find((d) => d.source.endsWith("(limit 20)"))!
    const perPoll = [wallets, history20].reduce((n, d) => n + rateLimitPoints(costOf(d.query), config.rateLimits.costPerPoint), 0)
    expect(perPoll * 60).toBeLessThanOrEqual(config.rateLimits.apiTokenPerMinute / 2)
  })

  it("weights an operation by its cost: max(1, ceil(cost / per point))", () => {
    expect(rateLimitPoints(0, 100)).toBe(1)
    expect(rateLimitPoints(100, 100)).toBe(1)
    expect(rateLimitPoints(101, 100)).toBe(2)
    expect(rateLimitPoints(1607, 100)).toBe(17)
    expect(rateLimitPoints(5000, 1)).toBe(5000)
  })
})

describe("query limits: a document's cost is remembered only where it cannot differ", () => {
  const twoOperations = `
    query Small { globals { network } }
    query Large($n: Int) { me { defaultAccount { transactions(first: $n) { edges { node { id } } } } } }`

  it("prices each named operation of one document by itself, on every repeat", () => {
    const admit = (operationName: string, variables?: Record<string, unknown>) => {
      const r = limits.admit({ query: twoOperations, operationName, variables })
      if (r instanceof QueryTooComplex) throw new Error(r.message)
      return r.cost
    }
    const small = admit("Small")
    const large = admit("Large", { n: 100 })
    expect(large).toBeGreaterThan(small)
    expect(admit("Small")).toBe(small)
    expect(admit("Large", { n: 100 })).toBe(large)
    // The variables still count on every request: a smaller page costs less.
    expect(admit("Large", { n: 5 })).toBeLessThan(large)
  })

  it("still refuses an over-limit page on a repeat of a document it admitted before", () => {
    expect(costOf("query P($n: Int) { me { defaultAccount { transactions(first: $n) { edges { node { id } } } } } }", { n: 10 })).toBeGreaterThan(0)
    expect(refusal("query P($n: Int) { me { defaultAccount { transactions(first: $n) { edges { node { id } } } } } }", { n: 1000 }).limit).toBe("listSize")
  })
})
