// Every GraphQL document our known clients send, for the query-limit tests:
// the BTCPay Flash plugin's, the token page's (read from its script, so a new
// one is checked too), the Postman collection's, and the introspection queries
// of graphql-js (what GraphiQL, Apollo Sandbox and codegen tools send).
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { getIntrospectionQuery } from "graphql"
import { repoRoot } from "@/stack/paths"
import { btcpayPluginDocuments } from "./btcpay-plugin-documents"

export type ClientDocument = { source: string; query: string; variables?: Record<string, unknown> }

export const tokenPageDocuments = (): ClientDocument[] => {
  const script = readFileSync(join(repoRoot, "src", "servers", "web", "assets", "api-tokens.js"), "utf8")
  const start = script.indexOf("const TOKEN_FIELDS")
  const end = script.indexOf("const $ =")
  if (start < 0 || end < start) throw new Error("api-tokens.js: the Q table moved, update this reader")
  const block = script.slice(start, script.lastIndexOf("\n", end))
  const Q = new Function(`${block}\nreturn Q`)() as Record<string, string>
  return Object.entries(Q).map(([name, query]) => ({ source: `api-tokens.js Q.${name}`, query }))
}

type PostmanItem = { name: string; item?: PostmanItem[]; request?: { body?: { graphql?: { query: string; variables?: string } } } }

export const postmanDocuments = (): ClientDocument[] => {
  const collection = JSON.parse(
    readFileSync(join(repoRoot, "postman", "flash-api-tokens.postman_collection.json"), "utf8"),
  ) as { item: PostmanItem[] }
  const out: ClientDocument[] = []
  const walk = (items: PostmanItem[]) => {
    for (const i of items) {
      if (i.item) walk(i.item)
      const g = i.request?.body?.graphql
      if (g) out.push({ source: `postman: ${i.name}`, query: g.query })
    }
  }
  walk(collection.item)
  return out
}

export const introspectionDocuments = (): ClientDocument[] => [
  { source: "getIntrospectionQuery()", query: getIntrospectionQuery() },
  {
    source: "getIntrospectionQuery(every option)",
    query: getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
    }),
  },
]

export const clientDocuments = (): ClientDocument[] => [
  ...btcpayPluginDocuments,
  ...tokenPageDocuments(),
  ...postmanDocuments(),
  ...introspectionDocuments(),
]

/** `__type(name: "Query")` followed by `levels` nested `ofType` selections. */
export const deepIntrospection = (levels: number) =>
  `{ __type(name: "Query") { ${"ofType { ".repeat(levels)}name${" }".repeat(levels)} } }`

/** `n` aliased copies of one selection, e.g. `a0: me { ... } a1: me { ... }`. */
export const aliased = (n: number, selection: string) =>
  `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${selection}`).join(" ")} }`

/** The attack's first amplification query: me → transactions(first: 100) with balances, aliased. */
export const transactionsWithBalances =
  "me { defaultAccount { wallets { id balance } transactions(first: 100) { edges { node { id direction status settlementAmount settlementCurrency createdAt memo } } } } }"

/** The attack's second: the anonymous accountDefaultWallet, aliased. */
export const anonymousDefaultWallet = 'accountDefaultWallet(username: "victim") { id walletCurrency }'

/** `n` spreads of one fragment on Query. */
export const fragmentSpreads = (n: number, fragmentBody = "globals { network nodesIds }") =>
  `query Spread { ${"...F ".repeat(n)}} fragment F on Query { ${fragmentBody} }`
