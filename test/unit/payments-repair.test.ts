// The repair job (completeUnfinishedTransfers) over in-memory ports: what a
// crash leaves half done is completed or given back, once. The clock of the
// stores is moved back to write "minutes ago", as the job leaves in-flight
// transfers alone.
import type { ApiTokenBudget } from "@/domain/api-tokens"
import { UnknownRepositoryError } from "@/domain/shared/errors"
import { aliceAndBob } from "../support/in-memory-payment-ports"

const MINUTE = 60_000
const budget: ApiTokenBudget = { amount: 10_000, unit: "SATS", period: "DAILY" }

const setup = async () => {
  const world = await aliceAndBob()
  return { ...world, apiToken: { tokenId: "token-1", accountId: world.alice.accountId, budget } }
}

describe("the repair of unfinished transfers", () => {
  it("completes a transfer that crashed between its debit and its credit, once", async () => {
    const { payments, ledger, clock, alice, bob } = await setup()
    clock.shift(-2 * MINUTE)
    ledger.state.failAppend = (a) => a.entryKey.startsWith("credit:")
    expect(await payments.payIntraLedger({ wallet: alice, recipientWalletId: bob.id, amount: 700, memo: undefined, idempotencyKey: undefined })).toBe("PENDING")
    ledger.state.failAppend = undefined
    clock.shift(0)

    expect(await payments.completeUnfinishedTransfers()).toEqual({ credited: 1, released: 0, reservationsReleased: 0 })
    expect(ledger.balanceOf(bob.id)).toBe(700)
    expect(ledger.balanceOf(alice.id)).toBe(9300)
    expect(await payments.completeUnfinishedTransfers()).toEqual({ credited: 0, released: 0, reservationsReleased: 0 })
    expect(ledger.entriesOf(bob.id)).toHaveLength(1)
  })

  it("leaves a transfer in flight alone (a debit of the last seconds)", async () => {
    const { payments, ledger, alice, bob } = await setup()
    ledger.state.failAppend = (a) => a.entryKey.startsWith("credit:")
    await payments.payIntraLedger({ wallet: alice, recipientWalletId: bob.id, amount: 700, memo: undefined, idempotencyKey: undefined })
    ledger.state.failAppend = undefined
    expect(await payments.completeUnfinishedTransfers()).toEqual({ credited: 0, released: 0, reservationsReleased: 0 })
    expect(ledger.balanceOf(bob.id)).toBe(0)
  })

  it("completes a crashed invoice payment: the credit, the invoice paid, the subscribers told", async () => {
    const { payments, ledger, invoices, published, clock, alice, bob } = await setup()
    const invoice = invoices.issue(bob, { amountSats: 1200 })
    clock.shift(-2 * MINUTE)
    ledger.state.failAppend = (a) => a.entryKey.startsWith("credit:")
    expect(await payments.payInvoice({ wallet: alice, paymentRequest: invoice.paymentRequest, memo: undefined })).toBe("PENDING")
    ledger.state.failAppend = undefined
    clock.shift(0)
    expect(invoices.invoice(invoice.paymentHash)?.paidAt).toBeUndefined()

    expect(await payments.completeUnfinishedTransfers()).toMatchObject({ credited: 1 })
    expect(ledger.balanceOf(bob.id)).toBe(1200)
    expect(invoices.invoice(invoice.paymentHash)?.paidAt).toBeInstanceOf(Date)
    expect(invoices.claimOf(invoice.paymentHash)?.settledAt).toBeInstanceOf(Date)
    expect(published).toContainEqual({ topic: `invoice:${invoice.paymentHash}`, event: { paymentHash: invoice.paymentHash, walletId: bob.id, status: "PAID" } })
  })

  it("releases an invoice claim whose debit never came, so the invoice can be paid again", async () => {
    const { payments, ledger, invoices, clock, alice, bob } = await setup()
    const invoice = invoices.issue(bob, { amountSats: 1200 })
    clock.shift(-7 * MINUTE)
    ledger.state.outage = true
    expect(await payments.payInvoice({ wallet: alice, paymentRequest: invoice.paymentRequest, memo: undefined })).toBeInstanceOf(UnknownRepositoryError)
    ledger.state.outage = false
    clock.shift(0)
    expect(invoices.claimOf(invoice.paymentHash)).toBeDefined()

    expect(await payments.completeUnfinishedTransfers()).toEqual({ credited: 0, released: 1, reservationsReleased: 0 })
    expect(invoices.claimOf(invoice.paymentHash)).toBeUndefined()
    expect(await payments.payInvoice({ wallet: alice, paymentRequest: invoice.paymentRequest, memo: undefined })).toBe("SUCCESS")
  })

  it("releases an abandoned budget reservation (no debit followed it), so it stops counting", async () => {
    const { payments, ledger, spends, clock, alice, bob, apiToken } = await setup()
    clock.shift(-7 * MINUTE)
    // The store fails with an unknown outcome: the payment cannot tell whether the debit was written, so it keeps the reservation.
    ledger.state.outage = true
    const r = await payments.payIntraLedger({ wallet: alice, recipientWalletId: bob.id, amount: 4000, memo: undefined, idempotencyKey: undefined, apiToken })
    expect(r).toBeInstanceOf(UnknownRepositoryError)
    ledger.state.outage = false
    clock.shift(0)
    expect(spends.used("token-1", budget)).toBe(4000)

    expect(await payments.completeUnfinishedTransfers()).toEqual({ credited: 0, released: 0, reservationsReleased: 1 })
    expect(spends.used("token-1", budget)).toBe(0)
    expect(ledger.balanceOf(alice.id)).toBe(10_000)
    expect(await payments.completeUnfinishedTransfers()).toEqual({ credited: 0, released: 0, reservationsReleased: 0 })
  })

  it("keeps a reservation whose debit was written (the payment happened)", async () => {
    const { payments, spends, clock, alice, bob, apiToken } = await setup()
    clock.shift(-7 * MINUTE)
    expect(await payments.payIntraLedger({ wallet: alice, recipientWalletId: bob.id, amount: 4000, memo: undefined, idempotencyKey: undefined, apiToken })).toBe("SUCCESS")
    clock.shift(0)
    expect(await payments.completeUnfinishedTransfers()).toEqual({ credited: 0, released: 0, reservationsReleased: 0 })
    expect(spends.used("token-1", budget)).toBe(4000)
  })

  it("keeps a reservation younger than the abandonment delay (its payment may still be in flight)", async () => {
    const { payments, ledger, spends, clock, alice, bob, apiToken } = await setup()
    clock.shift(-1 * MINUTE)
    ledger.state.outage = true
    await payments.payIntraLedger({ wallet: alice, recipientWalletId: bob.id, amount: 4000, memo: undefined, idempotencyKey: undefined, apiToken })
    ledger.state.outage = false
    clock.shift(0)
    expect(await payments.completeUnfinishedTransfers()).toMatchObject({ reservationsReleased: 0 })
    expect(spends.used("token-1", budget)).toBe(4000)
  })
})
