// Tokens created before budgets, with the per-wallet `dailySendLimit`, move to
// a DAILY budget in sats: read that way at once, and rewritten that way by the
// migration at start (idempotent, safe on replicas at once). On a database of
// this file's own, so the migration sees only the records written here.
import { randomUUID } from "node:crypto"
import { migrateDailySendLimits } from "@/app/api-tokens"
import type { ApiTokensDeps } from "@/app/api-tokens"
import { executeTransfer } from "@/app/payments/transfer"
import type { WalletCurrency, WalletId } from "@/domain/accounts"
import { ApiTokenId, BudgetExceededError } from "@/domain/api-tokens"
import { paymentValue } from "@/domain/payments/price"
import { ApiTokensRepository } from "@/services/mongoose/api-tokens"
import { ApiTokenModel } from "@/services/mongoose/api-tokens-schema"
import { LedgerRepository } from "@/services/mongoose/ledger"
import { useOwnDatabase } from "../support/own-database"

useOwnDatabase("flash_budget_migration")

const repo = ApiTokensRepository()
const deps = { repo } as unknown as ApiTokensDeps

/** A token record exactly as the code before budgets wrote it. */
const legacyRecord = async (over: Record<string, unknown> = {}) => {
  const id = randomUUID()
  await ApiTokenModel.collection.insertOne({
    _id: id as never,
    accountId: `acc-${randomUUID()}`,
    name: "old shop",
    activeNameKey: `acc:${id}`,
    slotId: `acc:slot0`,
    scopes: ["read", "write"],
    storedStatus: "ACTIVE",
    authMethod: "client_secret_basic",
    createdAt: new Date("2026-06-01T00:00:00Z"),
    dailySendLimit: 500,
    ...over,
  })
  return id as ApiTokenId
}

const fundedWallet = async (currency: WalletCurrency, amount: number) => {
  const walletId = randomUUID() as WalletId
  const r = await LedgerRepository().append({ walletId, amount, entryKey: `credit:fund-${walletId}`, transferId: `fund-${walletId}`, kind: "intraledger", currency })
  if (r instanceof Error) throw r
  return walletId
}

describe("tokens with the old dailySendLimit", () => {
  it("are enforced as a DAILY SATS budget for every wallet together, before and after the migration", async () => {
    const id = await legacyRecord()
    const token = await repo.findById(id)
    if (token instanceof Error) throw token
    expect(token.budget).toEqual({ amount: 500, unit: "SATS", period: "DAILY" })

    // The payment path takes the budget from the record, as the request path does.
    const btc = await fundedWallet("BTC", 5000)
    const usd = await fundedWallet("USD", 500)
    const payee = randomUUID() as WalletId
    const payer = { tokenId: id, accountId: token.accountId, budget: token.budget }
    const pay = (walletId: WalletId, currency: WalletCurrency, amount: number, sats: number) =>
      executeTransfer({
        transferId: randomUUID(),
        kind: "intraledger",
        sender: { walletId, currency, amount },
        recipient: { walletId: payee, currency: "BTC", amount: sats },
        apiToken: payer,
        value: paymentValue({ sats, senderAmount: amount, senderCurrency: currency }),
      })
    expect(await pay(btc, "BTC", 400, 400)).not.toBeInstanceOf(Error)
    // Under the old rule the USD wallet had its own 500 (cents); now 20 cents (200 sats) do not fit.
    expect(await pay(usd, "USD", 20, 200)).toBeInstanceOf(BudgetExceededError)
    expect(await pay(usd, "USD", 10, 100)).not.toBeInstanceOf(Error)

    expect(await migrateDailySendLimits(deps)).toBe(1)
    const doc = await ApiTokenModel.findById(id).lean<Record<string, unknown>>()
    expect(doc!.budget).toEqual({ amount: 500, unit: "SATS", period: "DAILY" })
    expect(doc).not.toHaveProperty("dailySendLimit")
    const after = await repo.findById(id)
    expect(after).toMatchObject({ budget: { amount: 500, unit: "SATS", period: "DAILY" } })
    expect(await pay(btc, "BTC", 1, 1)).toBeInstanceOf(BudgetExceededError)
  })

  it("migrate idempotently, also when two replicas run the migration at once", async () => {
    const ids = await Promise.all([legacyRecord({ dailySendLimit: 1 }), legacyRecord({ dailySendLimit: 2_000_000 }), legacyRecord()])
    const untouched = await legacyRecord({ dailySendLimit: undefined })
    await ApiTokenModel.updateOne({ _id: untouched }, { $unset: { dailySendLimit: "" } })

    const [a, b] = await Promise.all([migrateDailySendLimits(deps), migrateDailySendLimits(deps)])
    expect(a).not.toBeInstanceOf(Error)
    expect(b).not.toBeInstanceOf(Error)
    expect(await migrateDailySendLimits(deps)).toBe(0)

    const docs = await ApiTokenModel.find({ _id: { $in: [...ids, untouched] } }).lean<Array<Record<string, unknown>>>()
    const byId = new Map(docs.map((d) => [d._id as string, d]))
    expect(byId.get(ids[0]!)!.budget).toEqual({ amount: 1, unit: "SATS", period: "DAILY" })
    expect(byId.get(ids[1]!)!.budget).toEqual({ amount: 2_000_000, unit: "SATS", period: "DAILY" })
    expect(byId.get(ids[2]!)!.budget).toEqual({ amount: 500, unit: "SATS", period: "DAILY" })
    for (const d of docs) expect(d).not.toHaveProperty("dailySendLimit")
    expect(byId.get(untouched)).not.toHaveProperty("budget")
    expect(await ApiTokenModel.countDocuments({ dailySendLimit: { $exists: true } })).toBe(0)
  })

  it("a record that already has a budget keeps it; only the old field goes", async () => {
    const id = await legacyRecord({ budget: { amount: 90, unit: "USD_CENTS", period: "WEEKLY" } })
    expect(await repo.findById(id)).toMatchObject({ budget: { amount: 90, unit: "USD_CENTS", period: "WEEKLY" } })
    expect(await migrateDailySendLimits(deps)).toBe(0)
    const doc = await ApiTokenModel.findById(id).lean<Record<string, unknown>>()
    expect(doc!.budget).toEqual({ amount: 90, unit: "USD_CENTS", period: "WEEKLY" })
    expect(doc).not.toHaveProperty("dailySendLimit")
  })
})
