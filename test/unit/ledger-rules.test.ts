// The ledger's append rule (domain/wallets/ledger.ts: nextLedgerHead), which
// the store (services/mongoose/ledger.ts) and the in-memory ledger of the
// payment tests both apply, and the storage rules the in-memory ledger keeps
// as the store does (versions gapless per wallet, one entry per entryKey).
import type { WalletId } from "@/domain/accounts"
import { InsufficientBalanceError, InvalidAmountError } from "@/domain/wallets"
import { nextLedgerHead } from "@/domain/wallets/ledger"
import { inMemoryLedger, testClock } from "../support/in-memory-payment-ports"

describe("the ledger's append rule", () => {
  it("gives a credit the next version and the raised balance", () => {
    expect(nextLedgerHead({ version: 0, balance: 0 }, 500)).toEqual({ version: 1, balance: 500 })
  })

  it("allows a debit the balance covers, down to exactly zero", () => {
    expect(nextLedgerHead({ version: 3, balance: 500 }, -200)).toEqual({ version: 4, balance: 300 })
    expect(nextLedgerHead({ version: 3, balance: 500 }, -500)).toEqual({ version: 4, balance: 0 })
  })

  it("refuses a debit the balance cannot cover", () => {
    expect(nextLedgerHead({ version: 3, balance: 500 }, -501)).toBeInstanceOf(InsufficientBalanceError)
    expect(nextLedgerHead({ version: 0, balance: 0 }, -1)).toBeInstanceOf(InsufficientBalanceError)
  })

  it("refuses a credit above maxBalance, and allows one up to it", () => {
    expect(nextLedgerHead({ version: 1, balance: 90 }, 11, { maxBalance: 100 })).toBeInstanceOf(InvalidAmountError)
    expect(nextLedgerHead({ version: 1, balance: 90 }, 10, { maxBalance: 100 })).toEqual({ version: 2, balance: 100 })
  })

  it("never refuses a debit for maxBalance (it lowers the balance)", () => {
    expect(nextLedgerHead({ version: 1, balance: 150 }, -10, { maxBalance: 100 })).toEqual({ version: 2, balance: 140 })
  })
})

describe("the in-memory ledger keeps the store's rules", () => {
  const wallet = "00000000-0000-4000-8000-000000000001" as WalletId
  const credit = (transferId: string, amount: number) =>
    ({ walletId: wallet, amount, entryKey: `credit:${transferId}`, transferId, kind: "intraledger", currency: "BTC" }) as const

  it("numbers each wallet's entries 1, 2, 3 with the running balance", async () => {
    const ledger = inMemoryLedger(testClock())
    await ledger.append(credit("t1", 100))
    await ledger.append(credit("t2", 50))
    await ledger.append({ ...credit("t3", -30), entryKey: "debit:t3" })
    expect(ledger.entriesOf(wallet).map((e) => [e.version, e.balance, e.direction])).toEqual([
      [1, 100, "RECEIVE"],
      [2, 150, "RECEIVE"],
      [3, 120, "SEND"],
    ])
  })

  it("answers the first entry when an entryKey is appended again, and writes nothing", async () => {
    const ledger = inMemoryLedger(testClock())
    const first = await ledger.append(credit("t1", 100))
    const again = await ledger.append(credit("t1", 100))
    expect(again).toEqual(first)
    expect(ledger.entriesOf(wallet)).toHaveLength(1)
    expect(ledger.balanceOf(wallet)).toBe(100)
  })

  it("writes nothing for a refused debit", async () => {
    const ledger = inMemoryLedger(testClock())
    await ledger.append(credit("t1", 100))
    expect(await ledger.append({ ...credit("t2", -101), entryKey: "debit:t2" })).toBeInstanceOf(InsufficientBalanceError)
    expect(ledger.entriesOf(wallet)).toHaveLength(1)
  })
})
