// /healthz: the process is alive. /readyz: it can serve — Mongo answers, Hydra's
// admin API answers, and the Hydra JWKS is loaded. 503 names each part that is down.
import { Router } from "express"
import { pingMongo } from "@/services/mongoose/connection"

export type ReadinessCheck = () => Promise<true | Error>

const run = async (check: ReadinessCheck): Promise<true | Error> =>
  Promise.race([
    check().catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))),
    new Promise<Error>((r) => setTimeout(() => r(new Error("timed out after 2 s")), 2000).unref()),
  ])

export const healthRoutes = (
  checks: Record<string, ReadinessCheck>,
  degradable: Record<string, ReadinessCheck> = {},
): Router => {
  const router = Router()
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" })
  })
  router.get("/readyz", async (_req, res) => {
    const names = Object.keys(checks)
    const optional = Object.keys(degradable)
    const [results, optionalResults] = await Promise.all([
      Promise.all(names.map((n) => run(checks[n]!))),
      Promise.all(optional.map((n) => run(degradable[n]!))),
    ])
    const report: Record<string, string> = Object.fromEntries(
      names.map((n, i) => [n, results[i] === true ? "ok" : `down: ${(results[i] as Error).message}`]),
    )
    optional.forEach((n, i) => {
      const r = optionalResults[i]!
      report[n] = r === true ? "ok" : `degraded: ${r.message} (running on in-process fallbacks)`
    })
    const ready = results.every((r) => r === true)
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "not ready", checks: report })
  })
  return router
}

export const mongoCheck: ReadinessCheck = pingMongo

export const httpCheck =
  (url: string): ReadinessCheck =>
  async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(1500) })
    return res.ok ? true : new Error(`HTTP ${res.status}`)
  }
