// What a transfer repair run tells an operator: a record left unfinished run
// after run shows in flashapi_transfer_repair_unfinished, the watermark's time in
// flashapi_transfer_repair_watermark_seconds only when a run advanced it, and a
// failed run in flashapi_transfer_repair_failures_total.
import type { RepairRun } from "@/app/payments/transfer"
import { repairReporter } from "@/servers/wallet-services"
import { metrics } from "@/services/metrics"

const valueOf = async (m: { get: () => Promise<{ values: Array<{ value: number }> }> }) => (await m.get()).values[0]?.value ?? 0
const run = (left: number, through: string): RepairRun => ({
  credited: 0,
  released: 0,
  reservationsReleased: 0,
  left,
  span: { from: new Date("2026-12-04T00:00:00Z"), through: new Date(through) },
})
const warnings: unknown[] = []
const report = repairReporter({ warn: (o: unknown) => void warnings.push(o) } as never)

describe("the transfer repair's report", () => {
  it("sets the watermark's time when a run advanced it, and keeps it when a run left a record unfinished", async () => {
    report({ run: run(0, "2026-12-04T01:00:00Z"), advanced: true })
    expect(await valueOf(metrics.transferRepairUnfinished)).toBe(0)
    expect(await valueOf(metrics.transferRepairWatermark)).toBe(Date.parse("2026-12-04T01:00:00Z") / 1000)

    report({ run: run(2, "2026-12-04T01:01:00Z"), advanced: false })
    expect(await valueOf(metrics.transferRepairUnfinished)).toBe(2)
    expect(await valueOf(metrics.transferRepairWatermark)).toBe(Date.parse("2026-12-04T01:00:00Z") / 1000)
    expect(warnings.at(-1)).toMatchObject({ left: 2 })
  })

  it("counts a failed run and leaves the other two readings as they were", async () => {
    const before = await valueOf(metrics.transferRepairFailures)
    report({ run: new Error("store down"), advanced: false })
    expect(await valueOf(metrics.transferRepairFailures)).toBe(before + 1)
    expect(await valueOf(metrics.transferRepairUnfinished)).toBe(2)
    expect(warnings.at(-1)).toEqual({ err: "store down" })
  })
})
