// Prometheus metrics (prom-client), served on /metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client"

export const registry = new Registry()
collectDefaultMetrics({ register: registry })

export const metrics = {
  authOutcomes: new Counter({
    name: "flashapi_auth_outcomes_total",
    help: "Authentication outcomes by transport, principal kind and rejection reason",
    labelNames: ["transport", "outcome", "reason"] as const,
    registers: [registry],
  }),
  tokenHookDecisions: new Counter({
    name: "flashapi_token_hook_decisions_total",
    help: "Token hook decisions (allow, or the refusal reason)",
    labelNames: ["decision"] as const,
    registers: [registry],
  }),
  // Finer buckets than requestDuration: Hydra waits for the hook at every
  // issuance, so its latency bounds issuance throughput (npm run bench reads it).
  tokenHookDuration: new Histogram({
    name: "flashapi_token_hook_duration_seconds",
    help: "Token hook latency as the API sees it (all outcomes)",
    buckets: [0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  }),
  jwksRefreshes: new Counter({
    name: "flashapi_jwks_refreshes_total",
    help: "JWKS fetches by issuer and result",
    labelNames: ["issuer", "result"] as const,
    registers: [registry],
  }),
  revocationsSeen: new Counter({
    name: "flashapi_revocations_seen_total",
    help: "API token revocations this process applied, by source",
    labelNames: ["source"] as const,
    registers: [registry],
  }),
  queriesRefused: new Counter({
    name: "flashapi_graphql_queries_refused_total",
    help: "GraphQL operations refused as too complex (QUERY_TOO_COMPLEX), by the limit they exceeded",
    labelNames: ["limit"] as const,
    registers: [registry],
  }),
  invalidationsSeen: new Counter({
    name: "flashapi_invalidations_seen_total",
    help: "Invalidation events this process applied (from this process, Redis or the resync), by kind: token or account",
    labelNames: ["kind"] as const,
    registers: [registry],
  }),
  websocketsClosed: new Counter({
    name: "flashapi_websockets_closed_total",
    help: "WebSockets the server closed because their credentials no longer qualify, by close code (4440, 4441, 4442)",
    labelNames: ["code"] as const,
    registers: [registry],
  }),
  rateLimited: new Counter({
    name: "flashapi_rate_limited_total",
    help: "Requests refused by the rate limit, by principal kind (refused_credentials: credentials that did not authenticate, over their per-address budget)",
    labelNames: ["kind"] as const,
    registers: [registry],
  }),
  requestDuration: new Histogram({
    name: "flashapi_http_request_duration_seconds",
    help: "HTTP request latency by route and status class",
    labelNames: ["route", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  }),
  ledgerHeadReads: new Counter({
    name: "flashapi_ledger_head_reads_total",
    help: "Balance reads from the wallet heads kept in Redis: hit; else the ledger answers, after a miss, with Redis unavailable or failing, for one TTL after a reconnect, or for a wallet whose head write is unsent",
    labelNames: ["result"] as const,
    registers: [registry],
  }),
  ledgerHeadWrites: new Counter({
    name: "flashapi_ledger_head_writes_total",
    help: "Wallet head writes to Redis, after an append or a ledger read (fill), by result",
    labelNames: ["via", "result"] as const,
    registers: [registry],
  }),
  invalidationDelay: new Histogram({
    name: "flashapi_invalidation_delay_seconds",
    help: "From another process publishing an invalidation (revoke, rotate, update, lock) to this process applying it, over Redis (clocks of the two hosts included)",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  }),
  jobsRun: new Counter({
    name: "flashapi_jobs_run_total",
    help: "Background job runs this process claimed and started (cleanup, reconcile): one per period across all replicas",
    labelNames: ["job"] as const,
    registers: [registry],
  }),
  errorsAnswered: new Counter({
    name: "flashapi_errors_answered_total",
    help: "Errors answered to clients in GraphQL payloads, by stable code (BUDGET_EXCEEDED and PAYMENT_OVER_MAX: budget refusals)",
    labelNames: ["code"] as const,
    registers: [registry],
  }),
  transferRepairUnfinished: new Gauge({
    name: "flashapi_transfer_repair_unfinished",
    help: "Transfer records the last repair run of this process left unfinished (it tries again every minute; above 0 for long, one cannot be finished)",
    registers: [registry],
  }),
  transferRepairFailures: new Counter({
    name: "flashapi_transfer_repair_failures_total",
    help: "Transfer repair runs of this process that failed (the store did not answer)",
    registers: [registry],
  }),
  transferRepairWatermark: new Gauge({
    name: "flashapi_transfer_repair_watermark_seconds",
    help: "The repair watermark as this process last read or advanced it (Unix seconds): every transfer record created before it is finished. Alert on time() minus it",
    registers: [registry],
  }),
  activeApiTokens: new Gauge({
    name: "flashapi_api_tokens_active",
    help: "API tokens ACTIVE and unexpired: the cluster's count (once per API_TOKEN_ACTIVE_COUNT_INTERVAL_SECONDS) plus this process's creates and revokes since",
    registers: [registry],
  }),
}
