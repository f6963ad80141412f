// flashapi_api_tokens_active without a count on every replica
// (src/servers/active-tokens-gauge.ts): one replica counts per period under a
// lease and writes a snapshot; each replica shows the latest snapshot plus the
// changes it made itself since that count began. In-memory ports, fake clock.
import { createActiveTokensGauge, ACTIVE_TOKENS_SNAPSHOT } from "@/servers/active-tokens-gauge"
import { metrics } from "@/services/metrics"
import type { GaugeSnapshot } from "@/services/mongoose/gauge-snapshots"

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined } as never
const shown = async () => (await metrics.activeApiTokens.get()).values[0]?.value

const world = (o: { active: number; snapshot?: GaugeSnapshot; wins?: boolean }) => {
  const state = { active: o.active, counts: 0, snapshot: o.snapshot, claims: [] as string[] }
  const ports = {
    store: {
      countActive: async () => {
        state.counts++
        return state.active
      },
    },
    snapshots: {
      read: async (name: string) => (name === ACTIVE_TOKENS_SNAPSHOT ? state.snapshot : undefined),
      write: async (_: string, s: GaugeSnapshot) => {
        state.snapshot = s
        return true as const
      },
    },
    leases: {
      claim: async (job: string, intervalMs: number, period: number) => {
        const id = `${job}:${intervalMs}:${period}`
        if (state.claims.includes(id) || o.wins === false) return false
        state.claims.push(id)
        return true
      },
    },
    logger: silent,
  }
  return { state, ports }
}

beforeEach(() => {
  jest.useFakeTimers({ now: new Date("2026-12-03T10:00:00.100Z") })
  metrics.activeApiTokens.reset()
})
afterEach(() => jest.useRealTimers())

describe("the active-token gauge", () => {
  it("counts at start when no snapshot is recent, writes it for the other replicas and shows it", async () => {
    const { state, ports } = world({ active: 41 })
    const g = createActiveTokensGauge({ ...ports, countIntervalSeconds: 60 })
    await g.start()
    expect(state.counts).toBe(1)
    expect(state.snapshot?.value).toBe(41)
    expect(await shown()).toBe(41)
    g.stop()
  })

  it("takes a recent snapshot at start instead of counting", async () => {
    const { state, ports } = world({ active: 99, snapshot: { value: 7, countedAt: new Date(Date.now() - 30_000) } })
    const g = createActiveTokensGauge({ ...ports, countIntervalSeconds: 60 })
    await g.start()
    expect(state.counts).toBe(0)
    expect(await shown()).toBe(7)
    g.stop()
  })

  it("shows its own creates and revokes at once, on top of the count", async () => {
    const { ports } = world({ active: 10 })
    const g = createActiveTokensGauge({ ...ports, countIntervalSeconds: 0 })
    await g.start()
    g.changed(+1)
    g.changed(+1)
    expect(await shown()).toBe(12)
    g.changed(-1)
    expect(await shown()).toBe(11)
    g.stop()
  })

  it("on a newer snapshot, keeps only its own changes made after that count began", async () => {
    const { state, ports } = world({ active: 10, wins: false })
    const g = createActiveTokensGauge({ ...ports, countIntervalSeconds: 4 })
    await g.start()
    g.changed(+1) // before the other replica's count: in it
    await jest.advanceTimersByTimeAsync(10)
    const countedAt = new Date()
    await jest.advanceTimersByTimeAsync(10)
    g.changed(+1) // after it began: not in it
    state.snapshot = { value: 25, countedAt }
    await jest.advanceTimersByTimeAsync(1000) // the snapshot is read back a quarter period later
    expect(await shown()).toBe(26)
    g.stop()
  })

  it("never goes back to an older snapshot", async () => {
    const { state, ports } = world({ active: 10, wins: false })
    const g = createActiveTokensGauge({ ...ports, countIntervalSeconds: 4 })
    await g.start()
    state.snapshot = { value: 3, countedAt: new Date(Date.now() - 60_000) }
    await jest.advanceTimersByTimeAsync(1000)
    expect(await shown()).toBe(10)
    g.stop()
  })

  it("counts once per period under the lease, and not at all while another replica holds it", async () => {
    const mine = world({ active: 5 })
    const g = createActiveTokensGauge({ ...mine.ports, countIntervalSeconds: 2 })
    await g.start()
    await jest.advanceTimersByTimeAsync(6000)
    // The start's count plus one per period: periods 0..3 of six seconds at most.
    expect(mine.state.counts).toBeGreaterThanOrEqual(3)
    expect(mine.state.counts).toBeLessThanOrEqual(1 + 4)
    expect(new Set(mine.state.claims).size).toBe(mine.state.claims.length)
    g.stop()

    const other = world({ active: 5, snapshot: { value: 5, countedAt: new Date() }, wins: false })
    const h = createActiveTokensGauge({ ...other.ports, countIntervalSeconds: 2 })
    await h.start()
    await jest.advanceTimersByTimeAsync(6000)
    expect(other.state.counts).toBe(0)
    h.stop()
  })
})
