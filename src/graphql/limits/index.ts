// What one GraphQL operation may cost, checked before any resolver or store
// read, identically for HTTP and WebSocket (both transports call `admit`).
//
// Three passes, cheapest first, so a hostile document is refused before the
// expensive steps see it:
// 1. parse with GraphQL Armor's token-counting parser (aborts at the limit);
// 2. Armor's depth, alias and directive rules plus a root-field count, all of
//    which count through fragment spreads; then graphql-js's own rules (a
//    document they refuse is left to the transport, which reports it);
// 3. per request (the variables matter): list-size arguments and the cost
//    (graphql-query-complexity), lists multiplied by their page size.
// Passes 1 and 2 are cached per query text for admitted documents.
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases"
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth"
import { maxDirectivesRule } from "@escape.tech/graphql-armor-max-directives"
import { MaxTokensParserWLexer } from "@escape.tech/graphql-armor-max-tokens"
import {
  DocumentNode,
  FragmentDefinitionNode,
  GraphQLError,
  GraphQLField,
  GraphQLSchema,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
  specifiedRules,
  validate,
  ValidationContext,
  ValidationRule,
} from "graphql"
import { ComplexityEstimatorArgs, getComplexity } from "graphql-query-complexity"
import { LRUCache } from "lru-cache"

export type QueryLimitName = "depth" | "aliases" | "rootFields" | "cost" | "tokens" | "directives" | "listSize"

export type QueryLimitsConfig = {
  maxDepth: number
  maxAliases: number
  maxRootFields: number
  maxCost: number
  maxTokens: number
  maxDirectives: number
  maxListSize: number
}

const WHAT: Record<QueryLimitName, string> = {
  depth: "depth",
  aliases: "aliases",
  rootFields: "root fields",
  cost: "cost",
  tokens: "tokens",
  directives: "directives",
  listSize: "list size",
}

export class QueryTooComplex extends Error {
  override name = "QueryTooComplex"
  readonly code = "QUERY_TOO_COMPLEX"
  constructor(
    readonly limit: QueryLimitName,
    readonly maximum: number,
    readonly found?: number,
  ) {
    super(
      `Query too complex: ${WHAT[limit]} ${found === undefined ? "above" : `${found} above`} the limit of ${maximum}` +
        " (simplify the query, or split it)",
    )
  }

  toGraphQLError(): GraphQLError {
    return new GraphQLError(this.message, {
      extensions: { code: this.code, limit: this.limit, maximum: this.maximum },
    })
  }
}

/** An admitted operation and its estimated cost (0 when the transport will refuse it anyway). */
export type Admitted = { cost: number }

export type OperationRequest = { query?: unknown; variables?: unknown; operationName?: unknown }

/** Fields whose lists are paged (`first` / `last`), by name, with their own default page and maximum. */
const PAGED_FIELDS: Record<string, { defaultSize: number; maximum?: number }> = {
  // Account.transactions and Wallet.transactions: the resolver's default page is its maximum (100).
  transactions: { defaultSize: 100 },
  // Documented in the schema: default 50, max 500 (the token page asks for 500 hourly rows).
  apiTokenAuditEvents: { defaultSize: 50, maximum: 500 },
}
const LIST_SIZE_ARGUMENTS = ["first", "last"] as const

/** Lists without a size argument, estimated at their usual length. */
const UNPAGED_LIST_LENGTH: Record<string, number> = {
  wallets: 2, // one BTC and one USD wallet per account
  apiTokens: 25, // API_TOKEN_MAX_ACTIVE_PER_ACCOUNT's default
}

const hasListSizeArgument = (field: GraphQLField<unknown, unknown>) =>
  field.args.some((a) => (LIST_SIZE_ARGUMENTS as readonly string[]).includes(a.name))

/** The cap on a field's `first` / `last`: its own documented maximum, or GRAPHQL_MAX_LIST_SIZE. */
export const listSizeCap = (fieldName: string, maxListSize: number) => PAGED_FIELDS[fieldName]?.maximum ?? maxListSize

/** Points an operation of this cost takes from its caller's rate limit: max(1, ceil(cost / costPerPoint)). */
export const rateLimitPoints = (cost: number, costPerPoint: number) => Math.max(1, Math.ceil(cost / costPerPoint))

type Refusals = QueryTooComplex[]

const foundIn = (message: string) => {
  const m = /found (\d+)/.exec(message)
  return m ? Number(m[1]) : undefined
}

/** Fields selected at the top of each operation, counted through fragments (`__typename` is free). */
const maxRootFieldsRule =
  (maximum: number, refusals: Refusals): ValidationRule =>
  (context: ValidationContext) => {
    const fragmentCounts = new Map<string, number>()
    const count = (set: SelectionSetNode, visiting: Set<string>): number => {
      let n = 0
      for (const s of set.selections) {
        if (s.kind === Kind.FIELD) {
          if (s.name.value !== "__typename") n += 1
        } else if (s.kind === Kind.INLINE_FRAGMENT) {
          n += count(s.selectionSet, visiting)
        } else {
          const name = s.name.value
          const known = fragmentCounts.get(name)
          if (known !== undefined) {
            n += known
            continue
          }
          const fragment: FragmentDefinitionNode | undefined | null = context.getFragment(name)
          if (!fragment || visiting.has(name)) continue // unknown or cyclic: graphql-js refuses it
          visiting.add(name)
          const c = count(fragment.selectionSet, visiting)
          visiting.delete(name)
          fragmentCounts.set(name, c)
          n += c
        }
      }
      return n
    }
    return {
      OperationDefinition(op: OperationDefinitionNode) {
        const found = count(op.selectionSet, new Set())
        if (found > maximum) refusals.push(new QueryTooComplex("rootFields", maximum, found))
      },
    }
  }

type AdmittedDocument = {
  document: DocumentNode
  valid: boolean
  costWithoutVariables: Map<string, number | QueryTooComplex | undefined>
}

export const createQueryLimits = (schema: GraphQLSchema, limits: QueryLimitsConfig) => {
  // Documents that passed passes 1 and 2, by query text (refusals are not kept:
  // they are cheap to redo, and keeping large hostile texts would cost memory).
  // Bounded by count and by text size (one token may be a long string literal).
  // A request without variables always costs the same: its cost is kept beside
  // its document (by operation name), so the hot path does not walk it again.
  const admittedDocuments = new LRUCache<string, AdmittedDocument>({
    max: 500,
    maxSize: 4 * 2 ** 20,
    sizeCalculation: (_v, query) => Math.max(1, query.length),
  })

  const staticRules = (refusals: Refusals): ValidationRule[] => {
    const reject = (limit: QueryLimitName, maximum: number) => [
      (_ctx: ValidationContext | null, err: GraphQLError) => {
        refusals.push(new QueryTooComplex(limit, maximum, foundIn(err.message)))
      },
    ]
    return [
      // Introspection counts too: a 40-level __type/ofType chain is refused like any other.
      maxDepthRule({
        n: limits.maxDepth,
        ignoreIntrospection: false,
        flattenFragments: true,
        propagateOnRejection: false,
        onReject: reject("depth", limits.maxDepth),
      }),
      maxAliasesRule({ n: limits.maxAliases, propagateOnRejection: false, onReject: reject("aliases", limits.maxAliases) }),
      maxDirectivesRule({
        n: limits.maxDirectives,
        propagateOnRejection: false,
        onReject: reject("directives", limits.maxDirectives),
      }),
      maxRootFieldsRule(limits.maxRootFields, refusals),
    ]
  }

  /** Passes 1 and 2: the document, or a refusal, or undefined when it does not parse (the transport says why). */
  const checkStatic = (query: string): AdmittedDocument | QueryTooComplex | undefined => {
    const cached = admittedDocuments.get(query)
    if (cached) return cached
    let tokensExceeded = false
    let document: DocumentNode
    try {
      const parser = new MaxTokensParserWLexer(query, {
        n: limits.maxTokens,
        noLocation: true,
        onReject: [() => (tokensExceeded = true)],
      })
      document = parser.parseDocument()
    } catch {
      return tokensExceeded ? new QueryTooComplex("tokens", limits.maxTokens) : undefined
    }
    const refusals: Refusals = []
    validate(schema, document, staticRules(refusals))
    if (refusals[0]) return refusals[0]
    // Bounded now (tokens, aliases): graphql-js's rules, including the quadratic
    // overlapping-fields check, cannot be made to run long.
    const valid = validate(schema, document, specifiedRules).length === 0
    const entry: AdmittedDocument = { document, valid, costWithoutVariables: new Map() }
    admittedDocuments.set(query, entry)
    return entry
  }

  const costOf = (
    document: DocumentNode,
    variables: Record<string, unknown> | undefined,
    operationName: string | undefined,
  ): number | QueryTooComplex | undefined => {
    let listSizeRefusal: QueryTooComplex | undefined
    const estimator = ({ field, args, childComplexity }: ComplexityEstimatorArgs): number => {
      if (hasListSizeArgument(field)) {
        const cap = listSizeCap(field.name, limits.maxListSize)
        let size: number | undefined
        for (const name of LIST_SIZE_ARGUMENTS) {
          const v = args[name] as unknown
          if (typeof v !== "number") continue
          if (v > cap) listSizeRefusal ??= new QueryTooComplex("listSize", cap, v)
          size = Math.max(size ?? 0, v)
        }
        const pageSize = Math.max(1, size ?? PAGED_FIELDS[field.name]?.defaultSize ?? cap)
        return 1 + childComplexity * pageSize
      }
      const length = UNPAGED_LIST_LENGTH[field.name]
      return 1 + childComplexity * (length ?? 1)
    }
    try {
      const cost = getComplexity({
        schema,
        query: document,
        variables,
        operationName,
        estimators: [estimator],
        // Every field costs at least 1: a walk longer than the budget is over it.
        maxQueryNodes: limits.maxCost,
      })
      return listSizeRefusal ?? (cost > limits.maxCost ? new QueryTooComplex("cost", limits.maxCost, cost) : cost)
    } catch (e) {
      if (e instanceof GraphQLError && /maximum allowed number of nodes/.test(e.message)) {
        return new QueryTooComplex("cost", limits.maxCost)
      }
      // Variables that do not coerce, an unknown operation name: execution
      // refuses those before any resolver runs.
      return undefined
    }
  }

  return {
    /** Admits the operation (with its cost) or refuses it; never runs a resolver. */
    admit: (request: OperationRequest): Admitted | QueryTooComplex => {
      if (typeof request.query !== "string") return { cost: 0 } // no text (the transport refuses it)
      const checked = checkStatic(request.query)
      if (checked instanceof QueryTooComplex) return checked
      if (checked === undefined || !checked.valid) return { cost: 0 }
      const variables = request.variables ?? undefined
      if (variables !== undefined && (typeof variables !== "object" || variables === null || Array.isArray(variables))) {
        return { cost: 0 }
      }
      const operationName = typeof request.operationName === "string" ? request.operationName : undefined
      // Only names the document defines: a caller cannot grow the map with made-up ones.
      const fixed =
        (variables === undefined || Object.keys(variables).length === 0) &&
        (operationName === undefined ||
          checked.document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d.name?.value === operationName))
      let cost = fixed ? checked.costWithoutVariables.get(operationName ?? "") : undefined
      if (cost === undefined) {
        cost = costOf(checked.document, variables as Record<string, unknown> | undefined, operationName)
        if (fixed) checked.costWithoutVariables.set(operationName ?? "", cost)
      }
      if (cost instanceof QueryTooComplex) return cost
      return { cost: cost ?? 0 }
    },
  }
}

export type QueryLimits = ReturnType<typeof createQueryLimits>
