// A budget reservation whose debit was never written (the process
// died between the two, or lost the storage's answer) is released by the
// recovery job, completeUnfinishedTransfers: append-only, once, and never for
// a reservation that has its debit. On a database of this file's own on the
// stack's FerretDB, so running the recovery with a grace of milliseconds
// cannot release reservations that other test files have in flight.
import { randomUUID } from "node:crypto"
import type { WalletId } from "@/domain/accounts"
import { ApiTokenBudget, BudgetExceededError } from "@/domain/api-tokens"
import { InsufficientBalanceError } from "@/domain/wallets"
import { ApiTokenSpendModel, ApiTokenSpendsRepository } from "@/services/mongoose/api-token-spends"
import { useOwnDatabase } from "../support/own-database"
import { storeWallet } from "../support/store-wallet"

const BUDGET: ApiTokenBudget = { amount: 1000, unit: "SATS", period: "DAILY" }
const spends = ApiTokenSpendsRepository()
const { ledger, payments, fund } = storeWallet()
const GRACE_MS = 60_000

/**
 * Ages a token's spend entries past the recovery's grace by rewriting their
 * timestamps (test-only; the log is append-only otherwise), instead of sleeping
 * until a grace of milliseconds has passed: the test does not depend on the clock.
 */
const agePastGrace = (t: { tokenId: string }) =>
  ApiTokenSpendModel.updateMany({ tokenId: t.tokenId }, { $set: { createdAt: new Date(Date.now() - 2 * GRACE_MS) } })

useOwnDatabase("flash_reservations")

/** A write token with a daily budget of 1000 sats, a wallet holding `balance` (5000), and a payee wallet. */
const limitedToken = async (balance = 5000) => {
  const t = { tokenId: `tok-${randomUUID()}`, accountId: `acc-${randomUUID()}`, wallet: randomUUID() as WalletId, payee: randomUUID() as WalletId }
  await fund(t.wallet, balance)
  return t
}
type Token = Awaited<ReturnType<typeof limitedToken>>

/** A payment through the real path: reservation, debit, credit. */
const pay = (t: Token, amount: number, transferId = randomUUID()) =>
  payments.executeTransfer({
    transferId,
    kind: "intraledger",
    sender: { walletId: t.wallet, currency: "BTC", amount },
    recipient: { walletId: t.payee, currency: "BTC", amount },
    apiToken: { tokenId: t.tokenId, accountId: t.accountId, budget: BUDGET },
  })

/** The first step of a payment alone: the process died before writing its debit. */
const reserveThenCrash = async (t: Token, sats: number, budget = BUDGET, s = spends) => {
  const transferId = `crashed-${randomUUID()}`
  const reserved = await s.reserve({ tokenId: t.tokenId, walletId: t.wallet, transferId, value: { sats, cents: Math.ceil(sats / 10) } }, budget)
  expect(reserved).toMatchObject({ transferId })
  return transferId
}

const sent = async (t: Token, budget = BUDGET, at?: Date) => {
  const u = await spends.usage(t.tokenId, budget, at)
  if (u instanceof Error) throw u
  return u.used
}
const entries = (entryKey: string) => ApiTokenSpendModel.find({ entryKey }).lean<Array<{ sats: number; spendKey: string }>>()
const recover = async (opts: Parameters<typeof payments.completeUnfinishedTransfers>[0]) => {
  const r = await payments.completeUnfinishedTransfers(opts)
  if (r instanceof Error) throw r
  return r
}

describe("recovery of budget reservations left without a debit", () => {
  it("releases a reservation older than the grace with no debit and no release, so the token can spend that amount again", async () => {
    const t = await limitedToken()
    const paidId = randomUUID()
    expect(await pay(t, 300, paidId)).not.toBeInstanceOf(Error)
    const crashedId = await reserveThenCrash(t, 700)
    expect(await sent(t)).toBe(1000)
    expect(await pay(t, 200)).toBeInstanceOf(BudgetExceededError)

    // Younger than the grace: its debit may still be on its way.
    expect((await recover({ abandonedAfterMs: GRACE_MS })).reservationsReleased).toBe(0)
    expect(await sent(t)).toBe(1000)

    await agePastGrace(t)
    expect((await recover({ abandonedAfterMs: GRACE_MS })).reservationsReleased).toBe(1)
    expect(await entries(`release:${crashedId}`)).toEqual([expect.objectContaining({ sats: -700 })])
    // The payment that has its debit keeps counting.
    expect(await entries(`release:${paidId}`)).toEqual([])
    expect(await sent(t)).toBe(300)

    expect(await pay(t, 700)).not.toBeInstanceOf(Error)
    expect(await sent(t)).toBe(1000)
    expect(await pay(t, 1)).toBeInstanceOf(BudgetExceededError)
  })

  it("does not release a reservation whose debit was written, even when its credit is still missing", async () => {
    const t = await limitedToken()
    const transferId = `debited-${randomUUID()}`
    expect(await spends.reserve({ tokenId: t.tokenId, walletId: t.wallet, transferId, value: { sats: 400, cents: 40 } }, BUDGET)).toMatchObject({ transferId })
    const debit = await ledger.append({
      walletId: t.wallet,
      amount: -400,
      entryKey: `debit:${transferId}`,
      transferId,
      kind: "intraledger",
      currency: "BTC",
      counterpartyWalletId: t.payee,
      creditAmount: 400,
    })
    expect(debit).not.toBeInstanceOf(Error)

    await agePastGrace(t)
    expect((await recover({ abandonedAfterMs: GRACE_MS })).reservationsReleased).toBe(0)
    expect(await entries(`release:${transferId}`)).toEqual([])
    expect(await sent(t)).toBe(400)
  })

  it("appends one release only, however often and however concurrently the recovery runs", async () => {
    const t = await limitedToken()
    const crashedId = await reserveThenCrash(t, 600)
    await agePastGrace(t)
    await Promise.all([recover({ abandonedAfterMs: GRACE_MS }), recover({ abandonedAfterMs: GRACE_MS })])
    expect((await recover({ abandonedAfterMs: GRACE_MS })).reservationsReleased).toBe(0)
    expect(await entries(`release:${crashedId}`)).toHaveLength(1)
    expect(await sent(t)).toBe(0)

  })

  it("adds no release to a reservation the payment released itself (a debit refused for the balance)", async () => {
    const t = await limitedToken(100)
    const refusedId = randomUUID()
    expect(await pay(t, 500, refusedId)).toBeInstanceOf(InsufficientBalanceError)
    expect(await entries(`release:${refusedId}`)).toHaveLength(1)
    await agePastGrace(t)
    expect((await recover({ abandonedAfterMs: GRACE_MS })).reservationsReleased).toBe(0)
    expect(await entries(`release:${refusedId}`)).toHaveLength(1)
    expect(await sent(t)).toBe(0)
  })

  it("releases into the period the reservation counted in: a reservation of yesterday gives back nothing of today's budget", async () => {
    const t = await limitedToken()
    const yesterday = new Date(Date.now() - 24 * 3600_000)
    const crashedId = await reserveThenCrash(t, 500, BUDGET, ApiTokenSpendsRepository({ now: () => yesterday }))
    expect(await sent(t, BUDGET, yesterday)).toBe(500)
    expect(await pay(t, 1000)).not.toBeInstanceOf(Error)
    expect(await sent(t)).toBe(1000)

    // Written by yesterday's clock, it is past the grace: a recovery over a week finds it.
    expect((await recover({ abandonedAfterMs: GRACE_MS, windowMs: 7 * 24 * 3600_000 })).reservationsReleased).toBe(1)
    const [release] = await entries(`release:${crashedId}`)
    const [reservation] = await entries(`reserve:${crashedId}`)
    expect(release!.spendKey).toBe(reservation!.spendKey)
    expect(await sent(t, BUDGET, yesterday)).toBe(0)
    // Today's period is untouched: still full.
    expect(await sent(t)).toBe(1000)
    expect(await pay(t, 1)).toBeInstanceOf(BudgetExceededError)
  })
})
