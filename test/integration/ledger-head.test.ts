// How the ledger finds a wallet's newest entry: entries are named by wallet and
// version, versions are gapless, so the head is found by lookups by id (the
// only filter FerretDB on SQLite runs in SQL) starting from the last head this
// process saw. On a database of this file's own on the stack's FerretDB, so the
// legacy-format entry written here cannot stop other files' API processes.
import { randomUUID } from "node:crypto"
import mongoose from "mongoose"
import type { WalletId } from "@/domain/accounts"
import { off } from "@/services/ledger-heads"
import { checkLedgerFormat, ledgerEntryId, LedgerRepository, LegacyLedgerError } from "@/services/mongoose/ledger"
import { LedgerEntryModel } from "@/services/mongoose/ledger-schema"
import { entryWrittenElsewhere } from "../support/ledger"
import { useOwnDatabase } from "../support/own-database"

const ledger = LedgerRepository({ heads: off })

useOwnDatabase("flash_ledger_head")

const credit = (walletId: WalletId, amount: number, key = randomUUID()) =>
  ledger.append({ walletId, amount, entryKey: `credit:${key}`, transferId: key, kind: "intraledger", currency: "BTC" })

/** What another API process would write: the next version, straight into the collection. */
const writtenElsewhere = (walletId: WalletId, version: number, balance: number) => entryWrittenElsewhere(walletId, version, balance)

describe("the ledger head", () => {
  it("names entries by wallet and zero-padded version, so they sort by version", async () => {
    const w = randomUUID() as WalletId
    const first = await credit(w, 5)
    if (first instanceof Error) throw first
    expect(first.id).toBe(`${w}:000000000001`)
    expect(ledgerEntryId(w, 12)).toBe(`${w}:000000000012`)
  })

  it("sees entries another process appended after the head this process knew", async () => {
    const w = randomUUID() as WalletId
    for (let i = 0; i < 3; i++) expect(await credit(w, 10)).not.toBeInstanceOf(Error)
    expect(await ledger.balanceOf(w)).toBe(30) // this process now knows version 3
    for (let v = 4; v <= 9; v++) await writtenElsewhere(w, v, 30 + (v - 3))
    expect(await ledger.balanceOf(w)).toBe(36)
    // and the next append here takes version 10, not a version already taken
    const next = await credit(w, 100)
    if (next instanceof Error) throw next
    expect(next.version).toBe(10)
    expect(next.balance).toBe(136)
  })

  it("finds the head of a long history it never saw (galloping search), and 0 for an empty wallet", async () => {
    const w = randomUUID() as WalletId
    for (let v = 1; v <= 37; v++) await writtenElsewhere(w, v, v * 2)
    expect(await ledger.balanceOf(w)).toBe(74)
    expect(await ledger.balanceOf(randomUUID() as WalletId)).toBe(0)
  })

  it("keeps versions gapless and the balance exact under 20 parallel appends to one wallet", async () => {
    const w = randomUUID() as WalletId
    const results = await Promise.all(Array.from({ length: 20 }, () => credit(w, 7)))
    expect(results.filter((r) => r instanceof Error)).toEqual([])
    const versions = (await LedgerEntryModel.find({ walletId: w }).lean()).map((d) => d.version).sort((a, b) => a - b)
    expect(versions).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    expect(await ledger.balanceOf(w)).toBe(140)
  })

  it("refuses a ledger holding entries of the earlier id format, so no balance is read wrong", async () => {
    await LedgerEntryModel.create({
      _id: randomUUID(),
      walletId: randomUUID(),
      version: 1,
      amount: 1,
      balance: 1,
      entryKey: `credit:legacy-${randomUUID()}`,
      transferId: randomUUID(),
      kind: "intraledger",
      direction: "RECEIVE",
      currency: "BTC",
      createdAt: new Date(),
    })
    expect(await checkLedgerFormat()).toBeInstanceOf(LegacyLedgerError)
    const meta = mongoose.connection.db!.collection<{ _id: string }>("flash_meta")
    expect(await meta.findOne({ _id: "ledger-entry-ids:wallet-version" })).toBeNull()
  })

  it("records a ledger that passed the format check, so later starts skip the full read", async () => {
    await LedgerEntryModel.deleteMany({ _id: { $not: /^.+:\d{12}$/ } })
    expect(await checkLedgerFormat()).toBe(true)
    const meta = mongoose.connection.db!.collection<{ _id: string }>("flash_meta")
    expect(await meta.findOne({ _id: "ledger-entry-ids:wallet-version" })).not.toBeNull()
  })
})

describe("a page of transactions over several wallets", () => {
  it("pages newest first across the wallets, each entry once, and answers nothing after a cursor of another wallet", async () => {
    const a = randomUUID() as WalletId
    const b = randomUUID() as WalletId
    const other = randomUUID() as WalletId
    for (let i = 0; i < 5; i++) {
      for (const w of [a, b]) expect(await credit(w, i + 1)).not.toBeInstanceOf(Error)
    }
    const otherEntry = await credit(other, 1)
    if (otherEntry instanceof Error) throw otherEntry
    const all = await LedgerEntryModel.find({ walletId: { $in: [a, b] } }).sort({ createdAt: -1, _id: -1 }).lean<Array<{ _id: string }>>()
    expect(all).toHaveLength(10)

    const seen: string[] = []
    let after: string | undefined
    for (let pages = 0; ; pages++) {
      const page = await ledger.listForWallets([a, b], 3, after)
      if (page instanceof Error) throw page
      seen.push(...page.entries.map((e) => e.id))
      if (!page.hasNextPage) break
      after = page.entries.at(-1)!.id
      expect(pages).toBeLessThan(4)
    }
    expect(seen).toEqual(all.map((d) => d._id))
    expect(await ledger.listForWallets([a, b], 3, otherEntry.id)).toEqual({ entries: [], hasNextPage: false })
  })
})
