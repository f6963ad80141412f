// Payments by an API token with a budget (executeTransfer's reservation in the
// spend log before the debit) over in-memory ports.
import { ApiTokenBudget, BudgetExceededError, PaymentOverMaxError } from "@/domain/api-tokens"
import { InsufficientBalanceError } from "@/domain/wallets"
import { aliceAndBob } from "../support/in-memory-payment-ports"

const setup = async (budget: ApiTokenBudget | undefined, funded = 10_000) => {
  const { payments, ...world } = await aliceAndBob(funded)
  const apiToken = { tokenId: "token-1", accountId: world.alice.accountId, budget }
  const pay = (amount: number, idempotencyKey?: string) =>
    payments.payIntraLedger({ wallet: world.alice, recipientWalletId: world.bob.id, amount, memo: undefined, idempotencyKey, apiToken })
  return { ...world, pay }
}

const daily: ApiTokenBudget = { amount: 1000, unit: "SATS", period: "DAILY" }

describe("a payment by an API token with a budget", () => {
  it("is paid within the budget, and the budget counts it", async () => {
    const { pay, ledger, spends, bob } = await setup(daily)
    expect(await pay(600)).toBe("SUCCESS")
    expect(ledger.balanceOf(bob.id)).toBe(600)
    expect(spends.used("token-1", daily)).toBe(600)
  })

  it("is refused over the budget and writes nothing to the ledger", async () => {
    const { pay, ledger, spends, idempotencyKeys, bob } = await setup(daily)
    await pay(600)
    const before = ledger.all()
    expect(await pay(401, "second")).toBeInstanceOf(BudgetExceededError)
    expect(ledger.all()).toEqual(before)
    expect(ledger.balanceOf(bob.id)).toBe(600)
    expect(spends.used("token-1", daily)).toBe(600)
    expect(idempotencyKeys.size()).toBe(0)
  })

  it("may use the budget up exactly", async () => {
    const { pay, spends } = await setup(daily)
    expect(await pay(600)).toBe("SUCCESS")
    expect(await pay(400)).toBe("SUCCESS")
    expect(spends.used("token-1", daily)).toBe(1000)
  })

  it("is refused above the maximum per payment, before anything is reserved", async () => {
    const { pay, ledger, spends, bob } = await setup({ ...daily, maxPerPayment: 500 })
    expect(await pay(501)).toBeInstanceOf(PaymentOverMaxError)
    expect(spends.entries()).toEqual([])
    expect(ledger.balanceOf(bob.id)).toBe(0)
  })

  it("gives its reservation back when the balance refuses the debit", async () => {
    const { pay, spends } = await setup(daily, 100)
    expect(await pay(600)).toBeInstanceOf(InsufficientBalanceError)
    expect(spends.used("token-1", daily)).toBe(0)
  })

  it("gives its reservation back when the debit provably was not written", async () => {
    const { pay, ledger, spends } = await setup(daily)
    ledger.state.failAppend = (a) => a.entryKey.startsWith("debit:")
    expect(await pay(600)).toBeInstanceOf(Error)
    expect(spends.used("token-1", daily)).toBe(0)
  })

  it("counts the amount sent in the token's usage", async () => {
    const { pay, sent, alice } = await setup(daily)
    await pay(250)
    expect(sent).toEqual([{ tokenId: "token-1", accountId: alice.accountId, sent: { currency: "BTC", amount: 250 } }])
  })

  it("without a budget is paid and counted in usage, with nothing in the spend log", async () => {
    const { pay, spends, sent } = await setup(undefined)
    expect(await pay(5000)).toBe("SUCCESS")
    expect(spends.entries()).toEqual([])
    expect(sent).toHaveLength(1)
  })
})
