// The transfer repair's watermark (src/app/payments/repair-watermark.ts) on the
// real stores: a start looks back only from what earlier runs settled (minus a
// margin), a week without a watermark, and only a run that settled everything
// it read, contiguous with what is covered, moves the watermark forward. On a
// database of this file's own: the stack's API repairs the shared one, and its
// watermark is not ours.
import { randomUUID } from "node:crypto"
import type { WalletId } from "@/domain/accounts"
import { UnknownRepositoryError } from "@/domain/shared/errors"
import { planStartUpRepair, runRecentRepair, runStartUpRepair, TransferRepairDeps } from "@/app/payments/repair-watermark"
import { START_UP_MAX_WINDOW_MS, WATERMARK_MARGIN_MS } from "@/app/payments/repair-window"
import type { RepairRun } from "@/app/payments/transfer"
import { AccountsRepository } from "@/services/mongoose/accounts"
import { LedgerEntryModel } from "@/services/mongoose/ledger-schema"
import { RepairWatermarkModel, RepairWatermarksRepository, transferStoreIsEmpty } from "@/services/mongoose/repair-watermarks"
import { bucketOf, REPAIR_BUCKET_MS } from "@/services/mongoose/time-buckets"
import { useOwnDatabase } from "../support/own-database"
import { randomPhone } from "../support/phone"
import { storeWallet } from "../support/store-wallet"

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

useOwnDatabase("flash_repair_watermark")

const { ledger, payments, fund } = storeWallet()
const watermark = RepairWatermarksRepository()
const deps: TransferRepairDeps = { repair: (o) => payments.repairTransfers(o), watermark }
const ago = (ms: number) => new Date(Date.now() - ms)

const stored = async () => {
  const w = await watermark.read()
  if (w instanceof Error) throw w
  return w
}
/** Sets the stored watermark as an earlier run would have left it. */
const storeWatermark = async (through: Date) => {
  await RepairWatermarkModel.deleteMany({})
  expect(await watermark.advance(through)).toBe(true)
}

const newWallet = async (): Promise<WalletId> => {
  const r = await AccountsRepository().findOrCreateByPhone(randomPhone())
  if (r instanceof Error) throw r
  const wallets = await AccountsRepository().listWallets(r.account.id)
  if (wallets instanceof Error) throw wallets
  return wallets.find((w) => w.currency === "BTC")!.id
}

/**
 * A debit whose process died before its credit, written `ageMs` ago (its
 * timestamp and repair bucket rewritten: test-only, the ledger is append-only
 * otherwise), to `recipient` (a wallet that exists unless given).
 */
const crashedDebit = async (ageMs: number, recipient?: WalletId) => {
  const sender = await newWallet()
  await fund(sender, 1000)
  const transferId = `crashed-${randomUUID()}`
  const debit = await ledger.append({
    walletId: sender,
    amount: -100,
    entryKey: `debit:${transferId}`,
    transferId,
    kind: "intraledger",
    currency: "BTC",
    counterpartyWalletId: recipient ?? (await newWallet()),
    creditAmount: 100,
  })
  if (debit instanceof Error) throw debit
  const at = ago(ageMs)
  await LedgerEntryModel.updateOne({ entryKey: `debit:${transferId}` }, { $set: { createdAt: at, repairBucket: bucketOf(at, REPAIR_BUCKET_MS) } })
  return transferId
}
const credited = async (transferId: string) => {
  const c = await ledger.findByEntryKey(`credit:${transferId}`)
  if (c instanceof Error) throw c
  return c !== undefined
}
const settled = (run: RepairRun | Error) => {
  if (run instanceof Error) throw run
  return run
}

beforeEach(() => RepairWatermarkModel.deleteMany({}))

// First in the file: the database is new, and no test before this one wrote a transfer record.
describe("the start-up transfer repair on a new store", () => {
  it("reads nothing when no transfer record exists at all, and sets the watermark to the start; one debit makes the store not new", async () => {
    expect(await transferStoreIsEmpty()).toBe(true)
    const repair = jest.fn(deps.repair)
    const start = new Date()
    const plan = await planStartUpRepair({ ...deps, repair, storeIsEmpty: transferStoreIsEmpty })
    expect(plan).toMatchObject({ basis: "empty", windowMs: 0, watermark: undefined })
    const { run, advanced } = await runStartUpRepair({ ...deps, repair, storeIsEmpty: transferStoreIsEmpty }, plan)
    expect(repair).not.toHaveBeenCalled()
    expect(settled(run)).toMatchObject({ credited: 0, left: 0 })
    expect(advanced).toBe(true)
    expect((await stored())!.getTime()).toBeGreaterThanOrEqual(start.getTime())

    await crashedDebit(3 * DAY)
    expect(await transferStoreIsEmpty()).toBe(false)
    await RepairWatermarkModel.deleteMany({})
    expect(await planStartUpRepair({ ...deps, storeIsEmpty: transferStoreIsEmpty })).toMatchObject({ basis: "week", windowMs: START_UP_MAX_WINDOW_MS })
  })
})

describe("the start-up transfer repair", () => {
  it("with a watermark of an hour ago, looks back only from it minus the margin: a debit without credit before that is left, one after it is credited", async () => {
    const through = ago(HOUR)
    await storeWatermark(through)
    const before = await crashedDebit(HOUR + WATERMARK_MARGIN_MS + 10 * MINUTE)
    const after = await crashedDebit(HOUR + WATERMARK_MARGIN_MS - 10 * MINUTE)

    const plan = await planStartUpRepair(deps)
    expect(plan).toMatchObject({ basis: "watermark", watermark: through, from: new Date(through.getTime() - WATERMARK_MARGIN_MS) })
    const { run, advanced } = await runStartUpRepair(deps, plan)

    expect(settled(run)).toMatchObject({ credited: 1, left: 0 })
    expect(await credited(after)).toBe(true)
    expect(await credited(before)).toBe(false)
    expect(advanced).toBe(true)
    expect(await stored()).toEqual(settled(run).span.through)
  })

  it("without a watermark (first start, or after the upgrade), looks back a week: a debit without credit 3 days old is credited, and the watermark is written", async () => {
    const old = await crashedDebit(3 * DAY)

    const plan = await planStartUpRepair(deps)
    expect(plan).toMatchObject({ basis: "week", windowMs: START_UP_MAX_WINDOW_MS, watermark: undefined })
    const { run, advanced } = await runStartUpRepair(deps, plan)

    expect(settled(run).left).toBe(0)
    expect(await credited(old)).toBe(true)
    expect(advanced).toBe(true)
    expect(await stored()).toEqual(settled(run).span.through)
  })

  it("with an unreadable watermark, looks back a week", async () => {
    const unreadable: TransferRepairDeps = { ...deps, watermark: { ...watermark, read: () => Promise.resolve(new UnknownRepositoryError("down")) } }
    expect(await planStartUpRepair(unreadable)).toMatchObject({ basis: "week", windowMs: START_UP_MAX_WINDOW_MS })
  })

  it("never moves the watermark back (another replica settled further already)", async () => {
    const ahead = ago(-MINUTE)
    await storeWatermark(ahead)
    const { run, advanced } = await runStartUpRepair(deps, await planStartUpRepair(deps))
    expect(settled(run).left).toBe(0)
    expect(advanced).toBe(false)
    expect(await stored()).toEqual(ahead)
  })
})

describe("the periodic transfer repair and the watermark", () => {
  it("a successful run contiguous with the watermark advances it to what the run settled", async () => {
    await storeWatermark(ago(6 * MINUTE))
    const { run, advanced } = await runRecentRepair(deps)
    expect(advanced).toBe(true)
    expect(await stored()).toEqual(settled(run).span.through)
    expect(settled(run).span.through.getTime()).toBeGreaterThan(Date.now() - 6 * MINUTE)
  })

  it("a failed run does not advance it", async () => {
    const through = ago(6 * MINUTE)
    await storeWatermark(through)
    const failing: TransferRepairDeps = { ...deps, repair: () => Promise.resolve(new UnknownRepositoryError("ledger unreachable")) }
    expect(await runRecentRepair(failing)).toMatchObject({ advanced: false })
    expect(await stored()).toEqual(through)
  })

  it("a run that left a record unfinished does not advance it (a debit whose recipient wallet cannot be found)", async () => {
    const through = ago(6 * MINUTE)
    await storeWatermark(through)
    const stuck = await crashedDebit(2 * MINUTE, randomUUID() as WalletId)
    try {
      const { run, advanced } = await runRecentRepair(deps)
      expect(settled(run).left).toBe(1)
      expect(advanced).toBe(false)
      expect(await stored()).toEqual(through)
    } finally {
      await LedgerEntryModel.deleteOne({ entryKey: `debit:${stuck}` })
    }
  })

  it("a run with a gap before it (the watermark older than the run's window) does not advance it", async () => {
    const through = ago(HOUR)
    await storeWatermark(through)
    const { run, advanced } = await runRecentRepair(deps)
    expect(settled(run).left).toBe(0)
    expect(advanced).toBe(false)
    expect(await stored()).toEqual(through)
  })

  it("without a watermark, a periodic run writes none (only a start-up run covers the week before it)", async () => {
    const { advanced } = await runRecentRepair(deps)
    expect(advanced).toBe(false)
    expect(await stored()).toBeUndefined()
  })
})
