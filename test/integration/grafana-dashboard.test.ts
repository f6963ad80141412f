// The operator's dashboard (deploy/grafana/flash-api-tokens.json) queries only
// what the API exposes: every metric its queries name is on the running API's
// /metrics, and every label it groups or filters by is one that metric has.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { metrics } from "@/services/metrics"
import { repoRoot } from "@/stack/paths"
import { metricsUrl } from "../support/metrics"

type Panel = { title: string; targets?: Array<{ expr: string }> }
const dashboard = JSON.parse(readFileSync(join(repoRoot, "deploy", "grafana", "flash-api-tokens.json"), "utf8")) as { panels: Panel[] }
const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })))

/** A histogram's series are <name>_bucket, _sum and _count; /metrics declares <name>. */
const declaredName = (series: string) => series.replace(/_(bucket|sum|count)$/, "")
const metricNamesIn = (expr: string) => [...expr.matchAll(/\b(flashapi_[a-z0-9_]+)/g)].map((m) => declaredName(m[1]!))

const labelsByMetric = new Map<string, readonly string[]>(
  Object.values(metrics).map((m) => {
    const o = m as unknown as { name: string; labelNames?: readonly string[] }
    return [o.name, o.labelNames ?? []]
  }),
)
// Labels Prometheus adds when it scrapes, and the histogram's own.
const ADDED = ["job", "instance", "le"]

describe("the Grafana dashboard", () => {
  it("covers what an operator watches: auth outcomes by reason, issuance and hook latency, revocation propagation, rate-limit and budget refusals, active tokens, the transfer repair's watermark", () => {
    const all = exprs.map((e) => e.expr).join("\n")
    for (const metric of [
      "flashapi_auth_outcomes_total",
      "flashapi_token_hook_decisions_total",
      "flashapi_token_hook_duration_seconds_bucket",
      "flashapi_invalidation_delay_seconds_bucket",
      "flashapi_revocations_seen_total",
      "flashapi_rate_limited_total",
      "flashapi_errors_answered_total",
      "flashapi_api_tokens_active",
      "flashapi_transfer_repair_watermark_seconds",
      "flashapi_transfer_repair_unfinished",
    ]) {
      expect(all).toContain(metric)
    }
    expect(all).toMatch(/by \(outcome, reason/)
    expect(all).toContain('code=~"BUDGET_EXCEEDED|PAYMENT_OVER_MAX"')
  })

  it("names only metrics the running API exposes on /metrics", async () => {
    const text = await (await fetch(`${metricsUrl()}/metrics`)).text()
    const exposed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!))
    const named = [...new Set(exprs.flatMap((e) => metricNamesIn(e.expr)))]
    expect(named.length).toBeGreaterThanOrEqual(10)
    expect(named.filter((n) => !exposed.has(n))).toEqual([])
  })

  it("groups and filters only by labels those metrics have", () => {
    const wrong: string[] = []
    for (const { panel, expr } of exprs) {
      const names = metricNamesIn(expr)
      const known = new Set(names.flatMap((n) => labelsByMetric.get(n) ?? []).concat(ADDED))
      const grouped = [...expr.matchAll(/by \(([^)]*)\)/g)].flatMap((m) => m[1]!.split(",").map((l) => l.trim()))
      const filtered = [...expr.matchAll(/\{([^}]*)\}/g)].flatMap((m) => [...m[1]!.matchAll(/([a-z_]+)\s*(?:=~|!=|!~|=)/g)].map((l) => l[1]!))
      for (const l of [...grouped, ...filtered]) if (!known.has(l)) wrong.push(`${panel}: ${l} in ${expr}`)
    }
    expect(wrong).toEqual([])
  })
})
