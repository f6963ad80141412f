// The intraledger payment (app/payments: payIntraLedger, executeTransfer) over
// in-memory ports: what moves, what is refused, and that a retry never pays twice.
import { IdempotencyKeyReusedError, InsufficientBalanceError, SelfPaymentError } from "@/domain/wallets"
import { satsToMinor } from "@/domain/payments/price"
import { aliceAndBob } from "../support/in-memory-payment-ports"

const setup = aliceAndBob

describe("an intraledger payment", () => {
  it("moves the amount: the sender's debit and the recipient's credit, and both balances", async () => {
    const { payments, ledger, alice, bob } = await setup()
    const r = await payments.payIntraLedger({ wallet: alice, recipientWalletId: bob.id, amount: 2500, memo: "rent", idempotencyKey: undefined })
    expect(r).toBe("SUCCESS")
    expect(ledger.balanceOf(alice.id)).toBe(7500)
    expect(ledger.balanceOf(bob.id)).toBe(2500)
    const [debit] = ledger.entriesOf(alice.id).filter((e) => e.direction === "SEND")
    const [credit] = ledger.entriesOf(bob.id)
    expect(debit).toMatchObject({ amount: -2500, entryKey: `debit:${debit!.transferId}`, counterpartyWalletId: bob.id, creditAmount: 2500, memo: "rent" })
    expect(credit).toMatchObject({ amount: 2500, entryKey: `credit:${debit!.transferId}`, counterpartyWalletId: alice.id, memo: "rent" })
  })

  it("tells both accounts (a payment and a receipt)", async () => {
    const { payments, published, alice, bob } = await setup()
    await payments.payIntraLedger({ wallet: alice, recipientWalletId: bob.id, amount: 100, memo: undefined, idempotencyKey: undefined })
    expect(published).toEqual([
      { topic: `account:${alice.accountId}`, event: expect.objectContaining({ walletId: alice.id, amount: 100, txNotificationType: "IntraLedgerPayment" }) },
      { topic: `account:${bob.accountId}`, event: expect.objectContaining({ walletId: bob.id, amount: 100, txNotificationType: "IntraLedgerReceipt" }) },
    ])
  })

  it("credits a USD recipient the amount's value in cents, rounded down", async () => {
    const { payments, ledger, wallets, alice } = await setup(1_000_000)
    const usd = wallets.add("USD")
    expect(await payments.payIntraLedger({ wallet: alice, recipientWalletId: usd.id, amount: 100_000, memo: undefined, idempotencyKey: undefined })).toBe("SUCCESS")
    expect(ledger.balanceOf(usd.id)).toBe(satsToMinor(100_000, "USD", "down"))
    expect(ledger.balanceOf(alice.id)).toBe(900_000)
  })

  it("refuses an amount above the balance and writes nothing", async () => {
    const { payments, ledger, published, idempotencyKeys, alice, bob } = await setup(1000)
    const before = ledger.all()
    const r = await payments.payIntraLedger({ wallet: alice, recipientWalletId: bob.id, amount: 1001, memo: undefined, idempotencyKey: "order-1" })
    expect(r).toBeInstanceOf(InsufficientBalanceError)
    expect(ledger.all()).toEqual(before)
    expect(published).toEqual([])
    // The refusal moved nothing, so the key is free for the next attempt.
    expect(idempotencyKeys.size()).toBe(0)
  })

  it("refuses paying the sender's own wallet before anything is written", async () => {
    const { payments, ledger, alice } = await setup()
    const before = ledger.all()
    expect(await payments.payIntraLedger({ wallet: alice, recipientWalletId: alice.id, amount: 1, memo: undefined, idempotencyKey: undefined })).toBeInstanceOf(
      SelfPaymentError,
    )
    expect(ledger.all()).toEqual(before)
  })

  it("pays once when retried with the same idempotency key, and answers SUCCESS again", async () => {
    const { payments, ledger, alice, bob } = await setup()
    const pay = () => payments.payIntraLedger({ wallet: alice, recipientWalletId: bob.id, amount: 300, memo: "once", idempotencyKey: "order-7" })
    expect(await pay()).toBe("SUCCESS")
    expect(await pay()).toBe("SUCCESS")
    expect(ledger.balanceOf(alice.id)).toBe(9700)
    expect(ledger.balanceOf(bob.id)).toBe(300)
  })

  it("replayed after its first attempt died between debit and credit, appends the credit at once, once", async () => {
    const { payments, ledger, alice, bob } = await setup()
    const pay = () => payments.payIntraLedger({ wallet: alice, recipientWalletId: bob.id, amount: 300, memo: undefined, idempotencyKey: "order-9" })
    ledger.state.failAppend = (a) => a.entryKey.startsWith("credit:")
    expect(await pay()).toBe("PENDING")
    ledger.state.failAppend = undefined
    expect(ledger.balanceOf(bob.id)).toBe(0)

    expect(await pay()).toBe("SUCCESS")
    expect(ledger.balanceOf(bob.id)).toBe(300)
    expect(await pay()).toBe("SUCCESS")
    expect(ledger.balanceOf(alice.id)).toBe(9700)
    expect(ledger.entriesOf(bob.id)).toHaveLength(1)
  })

  it("refuses a different payment under a used idempotency key, moving nothing", async () => {
    const { payments, ledger, alice, bob } = await setup()
    await payments.payIntraLedger({ wallet: alice, recipientWalletId: bob.id, amount: 300, memo: undefined, idempotencyKey: "order-8" })
    const r = await payments.payIntraLedger({ wallet: alice, recipientWalletId: bob.id, amount: 301, memo: undefined, idempotencyKey: "order-8" })
    expect(r).toBeInstanceOf(IdempotencyKeyReusedError)
    expect(ledger.balanceOf(bob.id)).toBe(300)
  })
})

describe("a transfer", () => {
  it("retried with the same transfer id applies once and answers the same entries", async () => {
    const { payments, ledger, alice, bob } = await setup()
    const transfer = {
      transferId: "t-1",
      kind: "intraledger" as const,
      sender: { walletId: alice.id, currency: "BTC" as const, amount: 400 },
      recipient: { walletId: bob.id, currency: "BTC" as const, amount: 400 },
    }
    const first = await payments.executeTransfer(transfer)
    const second = await payments.executeTransfer(transfer)
    expect(second).toEqual(first)
    expect(ledger.balanceOf(alice.id)).toBe(9600)
    expect(ledger.balanceOf(bob.id)).toBe(400)
    expect(ledger.entriesOf(bob.id)).toHaveLength(1)
  })

  it("answers the debit and the credit's failure when the credit cannot be written (the payment is PENDING)", async () => {
    const { payments, ledger, alice, bob } = await setup()
    ledger.state.failAppend = (a) => a.entryKey.startsWith("credit:")
    expect(await payments.payIntraLedger({ wallet: alice, recipientWalletId: bob.id, amount: 500, memo: undefined, idempotencyKey: undefined })).toBe("PENDING")
    expect(ledger.balanceOf(alice.id)).toBe(9500)
    expect(ledger.balanceOf(bob.id)).toBe(0)
  })
})
