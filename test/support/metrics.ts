// Reads the API's /metrics (Prometheus text format) as a test sees it: one
// sample by name and exact label set, 0 when the series does not exist yet.
// Metrics live on their own listener (urls.metrics), not on the API port.
import { testStack } from "../harness/stack-state"

export type Samples = Map<string, number>

const key = (name: string, labels: Record<string, string>) =>
  `${name}{${Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(",")}}`

/** Parses `name{a="x",b="y"} 12` lines; comments and the rest are skipped. */
export const parseMetrics = (text: string): Samples => {
  const samples: Samples = new Map()
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) continue
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = JSON.parse(`"${l[2]!}"`) as string
    samples.set(key(m[1]!, labels), Number(m[3]))
  }
  return samples
}

/** The stack's metrics base URL; a test stack always has one. */
export const metricsUrl = (): string => {
  const url = testStack().urls.metrics
  if (!url) throw new Error("the test stack has no metrics listener")
  return url
}

export const readMetrics = async (baseUrl = metricsUrl()): Promise<Samples> => {
  const res = await fetch(`${baseUrl}/metrics`)
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`)
  return parseMetrics(await res.text())
}

export const sample = (samples: Samples, name: string, labels: Record<string, string> = {}) => samples.get(key(name, labels)) ?? 0
