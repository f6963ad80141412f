// Background jobs run once per period across replicas (issue 19): three API
// processes on one store run the cleanup job every second; each period is run
// by exactly one of them, no period is skipped, and when the replica that ran
// the latest periods dies (SIGKILL), the others carry on with the next ones.
import { hostname } from "node:os"
import mongoose from "mongoose"
import { JobLeaseModel } from "@/services/mongoose/job-leases"
import { testStack } from "../harness/stack-state"
import { readMetrics, sample } from "../support/metrics"
import { startSecondApi } from "../support/second-api"

const stack = testStack()
const INTERVAL_MS = 1000
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

type Replica = Awaited<ReturnType<typeof startSecondApi>>
let replicas: Replica[] = []

beforeAll(async () => {
  await mongoose.connect(stack.urls.mongodb)
  replicas = await Promise.all([0, 1, 2].map(() => startSecondApi({ API_TOKEN_CLEANUP_INTERVAL_SECONDS: "1" })))
}, 180_000)
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()))
  await mongoose.disconnect()
})

const holderOf = (r: Replica) => `${hostname()}:${r.process.pid}:`
const runsOf = async (r: Replica) => sample(await readMetrics(r.metrics!), "flashapi_jobs_run_total", { job: "cleanup" })
const claims = async (from: number, to: number) =>
  (await JobLeaseModel.find({ job: "cleanup" }).lean<Array<{ period: number; holder: string; _id: string }>>())
    .filter((c) => c._id.startsWith(`cleanup:${INTERVAL_MS}:`) && c.period >= from && c.period <= to)
    .sort((a, b) => a.period - b.period)

describe("background jobs across three replicas", () => {
  it("run each period on exactly one replica, skip none, and move on to the others when that replica is killed", async () => {
    const before = await Promise.all(replicas.map(runsOf))
    const from = Math.floor(Date.now() / INTERVAL_MS) + 1
    await sleep(6 * INTERVAL_MS)
    const to = Math.floor(Date.now() / INTERVAL_MS) - 1
    const after = await Promise.all(replicas.map(runsOf))

    const window = await claims(from, to)
    // One claim per period (the unique _id), every period of the window claimed by one of the three.
    expect(window.map((c) => c.period)).toEqual(Array.from({ length: to - from + 1 }, (_, i) => from + i))
    const replicaOf = (c: { holder: string }) => replicas.findIndex((r) => c.holder.startsWith(holderOf(r)))
    expect(window.map(replicaOf)).not.toContain(-1)
    // Each replica ran exactly the periods it claimed (none ran a period without its claim).
    const ran = after.map((n, i) => n - before[i]!)
    const claimedBy = replicas.map((_, i) => window.filter((c) => replicaOf(c) === i).length)
    for (let i = 0; i < replicas.length; i++) expect(ran[i]).toBeGreaterThanOrEqual(claimedBy[i]!)
    expect(ran.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(to - from + 3) // the window's periods, give or take its two edges

    // Kill the replica that ran the latest period; the next periods go to the two others.
    const latest = replicaOf(window[window.length - 1]!)
    process.kill(replicas[latest]!.process.pid, "SIGKILL")
    const killedAt = Math.floor(Date.now() / INTERVAL_MS)
    await sleep(4 * INTERVAL_MS)
    const next = await claims(killedAt + 1, Math.floor(Date.now() / INTERVAL_MS) - 1)
    expect(next.length).toBeGreaterThanOrEqual(2)
    expect(next.map((c) => c.period)).toEqual(Array.from({ length: next.length }, (_, i) => killedAt + 1 + i))
    for (const c of next) {
      expect(replicaOf(c)).not.toBe(latest)
      expect(replicaOf(c)).not.toBe(-1)
    }
  }, 60_000)
})
