// Tokens created before budgets, with the per-wallet `dailySendLimit`, move to
// a DAILY budget in sats: read that way at once, and rewritten that way by the
// migration at start (idempotent, safe on replicas at once). On a database of
// this file's own, so the migration sees only the records written here.
import { randomUUID } from "node:crypto"
import { migrateDailySendLimits } from "@/app/api-tokens"
import type { ApiTokensDeps } from "@/app/api-tokens"
import { WalletCurrency, WalletId } from "@/domain/accounts"
import { ApiTokenId, BudgetExceededError, budgetPeriodAt } from "@/domain/api-tokens"
import { AccountsRepository } from "@/services/mongoose/accounts"
import { ApiTokenSpendModel, ApiTokenSpendsRepository } from "@/services/mongoose/api-token-spends"
import { ApiTokensRepository } from "@/services/mongoose/api-tokens"
import { ApiTokenModel } from "@/services/mongoose/api-tokens-schema"
import { useOwnDatabase } from "../support/own-database"
import { randomPhone } from "../support/phone"
import { storeWallet } from "../support/store-wallet"

useOwnDatabase("flash_budget_migration")

const repo = ApiTokensRepository()
const deps = { repo, accounts: AccountsRepository() } as unknown as ApiTokensDeps
const { payments, fund } = storeWallet()

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
  await fund(walletId, amount, currency)
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
      payments.executeTransfer({
        transferId: randomUUID(),
        kind: "intraledger",
        sender: { walletId, currency, amount },
        recipient: { walletId: payee, currency: "BTC", amount: sats },
        apiToken: payer,
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

  it("carry what they sent today (UTC) under the old per-wallet rule into today's budget, once, converted to sats", async () => {
    const phone = randomPhone()
    const owner = await AccountsRepository().findOrCreateByPhone(phone)
    if (owner instanceof Error) throw owner
    const wallets = await AccountsRepository().listWallets(owner.account.id)
    if (wallets instanceof Error) throw wallets
    const btc = wallets.find((w) => w.currency === "BTC")!.id
    const usd = wallets.find((w) => w.currency === "USD")!.id
    const id = await legacyRecord({ accountId: owner.account.id, dailySendLimit: 1000 })
    const now = new Date()
    const today = budgetPeriodAt("DAILY", now)
    // The old log: per wallet, in the wallet's unit, a release negative; one entry from yesterday.
    const old = (walletId: string, version: number, amount: number, createdAt: Date) => ({
      _id: randomUUID() as never,
      spendKey: `${id}:${walletId}`,
      tokenId: id,
      walletId,
      version,
      amount,
      cumulative: 0,
      entryKey: `${amount > 0 ? "reserve" : "release"}:${randomUUID()}`,
      transferId: randomUUID(),
      createdAt,
    })
    await ApiTokenSpendModel.collection.insertMany([
      old(btc, 1, 900, new Date(today.start!.getTime() - 60_000)),
      old(btc, 2, 200, today.start!),
      old(btc, 3, 50, now),
      old(btc, 4, -50, now),
      old(usd, 1, 30, now),
    ])

    await Promise.all([migrateDailySendLimits(deps, now), migrateDailySendLimits(deps, now)])
    expect(await migrateDailySendLimits(deps, now)).toBe(0)
    // 200 sats from BTC today (50 given back) and 30 cents (300 sats) from USD: 500 of 1000 used.
    const usage = await ApiTokenSpendsRepository().usage(id, { amount: 1000, unit: "SATS", period: "DAILY" }, now)
    expect(usage).toMatchObject({ used: 500, remaining: 500 })
    expect(await ApiTokenSpendModel.countDocuments({ entryKey: `carried-over:${id}:${today.key}` })).toBe(1)
    // The carried-over total is no reservation: the recovery job never gives it back.
    const unreleased = await ApiTokenSpendsRepository().unreleasedReservations({ newerThan: new Date(0), olderThan: new Date(now.getTime() + 60_000) })
    expect(unreleased).not.toContainEqual(expect.objectContaining({ tokenId: id }))
  })
})
