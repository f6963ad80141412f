// The background jobs' time windows become equality lookups, one per bucket
// (src/services/mongoose/time-buckets.ts): a window must name every bucket
// that can hold a time inside it, and no lookup may be lost or doubled.
import {
  bucketOf,
  bucketsCovering,
  changedSinceWindow,
  CHANGE_BUCKET_MS,
  changeStamp,
  DUE_BUCKET_MS,
  dueBucketOf,
  findInBuckets,
  createDueSweeps,
} from "@/services/mongoose/time-buckets"

const at = (ms: number) => new Date(ms)

describe("time buckets", () => {
  it("a bucket is the number of whole sizes since the epoch, as a string", () => {
    expect(bucketOf(at(0), 60_000)).toBe("0")
    expect(bucketOf(at(59_999), 60_000)).toBe("0")
    expect(bucketOf(at(60_000), 60_000)).toBe("1")
    expect(bucketOf(new Date("2026-12-03T07:00:30Z"), 60_000)).toBe(String(Math.floor(Date.parse("2026-12-03T07:00:30Z") / 60_000)))
  })

  it("a window covers the buckets of both its ends and all between, once each", () => {
    expect(bucketsCovering(at(59_000), at(61_000), 60_000)).toEqual(["0", "1"])
    expect(bucketsCovering(at(60_000), at(119_999), 60_000)).toEqual(["1"])
    expect(bucketsCovering(at(0), at(300_000), 60_000)).toEqual(["0", "1", "2", "3", "4", "5"])
    expect(bucketsCovering(at(120_000), at(60_000), 60_000)).toEqual([])
  })

  it("every time inside a window falls in one of its buckets", () => {
    const from = at(1_000_000_123)
    const to = at(1_000_987_654)
    const buckets = new Set(bucketsCovering(from, to, 7_000))
    for (let t = from.getTime(); t <= to.getTime(); t += 997) expect(buckets.has(bucketOf(at(t), 7_000))).toBe(true)
  })

  it("the resync's window reaches the next minute (a replica whose clock runs ahead stamps it)", () => {
    const since = new Date(Date.now() - 20_000)
    const w = changedSinceWindow(since)
    expect(w.sizeMs).toBe(CHANGE_BUCKET_MS)
    expect(bucketsCovering(w.from, w.to, w.sizeMs)).toContain(bucketOf(new Date(Date.now() + CHANGE_BUCKET_MS), CHANGE_BUCKET_MS))
  })

  it("a change stamp carries its time and that time's minute", () => {
    const t = new Date("2026-12-03T07:01:02Z")
    expect(changeStamp(t)).toEqual({ changedAt: t, changeBucket: bucketOf(t, CHANGE_BUCKET_MS) })
  })

  it("findInBuckets asks each bucket once, a few at a time, and returns every row in bucket order", async () => {
    const asked: string[] = []
    let inFlight = 0
    let most = 0
    const range = jest.fn(async () => ["range"])
    const rows = await findInBuckets(
      { from: at(0), to: at(20 * 60_000), sizeMs: 60_000 },
      async (b) => {
        asked.push(b)
        most = Math.max(most, ++inFlight)
        await new Promise((r) => setTimeout(r, 1))
        inFlight--
        return [`${b}:a`, `${b}:b`]
      },
      range,
    )
    expect(range).not.toHaveBeenCalled()
    expect(asked.slice().sort((x, y) => Number(x) - Number(y))).toEqual(Array.from({ length: 21 }, (_, i) => String(i)))
    expect(most).toBeLessThanOrEqual(8)
    expect(rows).toHaveLength(42)
    expect(rows.slice(0, 2)).toEqual(["0:a", "0:b"])
  })

  it("a window of more than 4096 buckets is one range query instead (a resync after days of failure, the epoch as a bound)", async () => {
    const lookup = jest.fn(async (b: string) => [b])
    const range = async () => ["range"]
    expect(await findInBuckets({ from: at(0), to: at(4096 * 60_000 - 1), sizeMs: 60_000 }, lookup, range)).toHaveLength(4096)
    lookup.mockClear()
    expect(await findInBuckets({ from: at(0), to: at(4096 * 60_000), sizeMs: 60_000 }, lookup, range)).toEqual(["range"])
    expect(lookup).not.toHaveBeenCalled()
  })

  it("a due sweep reads everything at its first run for its owner, then only the day buckets of the last two days up to its due time", async () => {
    const sweepDue = createDueSweeps()
    const dueBy = new Date("2026-12-03T08:00:00Z")
    const full = jest.fn(async () => ["everything"])
    const asked: string[] = []
    const recent = async (b: string) => (asked.push(b), [b])
    expect(await sweepDue("unit sweep", dueBy, full, recent)).toEqual(["everything"])
    expect(asked).toEqual([])
    const again = await sweepDue("unit sweep", dueBy, full, recent)
    expect(full).toHaveBeenCalledTimes(1)
    const today = Number(bucketOf(dueBy, DUE_BUCKET_MS))
    expect(again).toEqual([String(today - 2), String(today - 1), String(today)])
    // Another sweep has its own first run, and so has the same sweep of another owner.
    expect(await sweepDue("another unit sweep", dueBy, full, recent)).toEqual(["everything"])
    expect(await createDueSweeps()("unit sweep", dueBy, full, recent)).toEqual(["everything"])
  })

  it("a record without a due time gets no due bucket", () => {
    expect(dueBucketOf(undefined)).toBeUndefined()
    expect(dueBucketOf(new Date(3 * DUE_BUCKET_MS + 1))).toBe("3")
  })
})
