// Paying an invoice of our node (payInvoice) and the sandbox's external payer
// (payAsExternalPayer) over in-memory ports.
import { InsufficientBalanceError, InvoiceExpiredError, InvoiceNotFoundError, PaymentInProgressError, SelfPaymentError } from "@/domain/wallets"
import { aliceAndBob } from "../support/in-memory-payment-ports"

const setup = aliceAndBob

describe("paying an invoice of our node", () => {
  it("moves its amount to the invoice's wallet, marks it paid and tells its subscribers", async () => {
    const { payments, ledger, invoices, published, alice, bob } = await setup()
    const invoice = invoices.issue(bob, { amountSats: 1500, memo: "coffee" })
    expect(await payments.payInvoice({ wallet: alice, paymentRequest: invoice.paymentRequest, memo: undefined })).toBe("SUCCESS")
    expect(ledger.balanceOf(alice.id)).toBe(8500)
    expect(ledger.balanceOf(bob.id)).toBe(1500)
    expect(ledger.entriesOf(bob.id)[0]).toMatchObject({ kind: "invoice", paymentHash: invoice.paymentHash, memo: "coffee" })
    expect(invoices.invoice(invoice.paymentHash)?.paidAt).toBeInstanceOf(Date)
    expect(published.map((p) => p.topic)).toEqual([`invoice:${invoice.paymentHash}`, `account:${bob.accountId}`, `account:${alice.accountId}`])
  })

  it("answers ALREADY_PAID for a paid invoice and moves nothing", async () => {
    const { payments, ledger, invoices, wallets, alice, bob } = await setup()
    const invoice = invoices.issue(bob, { amountSats: 1500 })
    await payments.payInvoice({ wallet: alice, paymentRequest: invoice.paymentRequest, memo: undefined })
    const carol = wallets.add("BTC")
    await ledger.fund(carol.id, "BTC", 5000)
    expect(await payments.payInvoice({ wallet: carol, paymentRequest: invoice.paymentRequest, memo: undefined })).toBe("ALREADY_PAID")
    expect(ledger.balanceOf(carol.id)).toBe(5000)
    expect(ledger.balanceOf(bob.id)).toBe(1500)
  })

  it("pays a no-amount invoice the amount the payer chose", async () => {
    const { payments, ledger, invoices, alice, bob } = await setup()
    const invoice = invoices.issue(bob)
    expect(
      await payments.payInvoice({ wallet: alice, paymentRequest: invoice.paymentRequest, memo: undefined, amount: { value: 321, unit: "sats" } }),
    ).toBe("SUCCESS")
    expect(ledger.balanceOf(bob.id)).toBe(321)
  })

  it("refuses a short balance, writes nothing and gives the invoice back to other payers", async () => {
    const { payments, ledger, invoices, alice, bob } = await setup(100)
    const invoice = invoices.issue(bob, { amountSats: 1500 })
    const before = ledger.all()
    expect(await payments.payInvoice({ wallet: alice, paymentRequest: invoice.paymentRequest, memo: undefined })).toBeInstanceOf(InsufficientBalanceError)
    expect(ledger.all()).toEqual(before)
    expect(invoices.claimOf(invoice.paymentHash)).toBeUndefined()
  })

  it("refuses an invoice another payment holds", async () => {
    const { payments, invoices, alice, bob } = await setup()
    const invoice = invoices.issue(bob, { amountSats: 1500 })
    await invoices.claimSettlement({ paymentHash: invoice.paymentHash, transferId: "someone-else", payerWalletId: undefined })
    expect(await payments.payInvoice({ wallet: alice, paymentRequest: invoice.paymentRequest, memo: undefined })).toBeInstanceOf(PaymentInProgressError)
  })

  it("refuses the payer's own invoice, an expired one and an unknown one", async () => {
    const { payments, invoices, alice, bob } = await setup()
    const own = invoices.issue(alice, { amountSats: 10 })
    const expired = invoices.issue(bob, { amountSats: 10, expiresAt: new Date(Date.now() - 1000) })
    expect(await payments.payInvoice({ wallet: alice, paymentRequest: own.paymentRequest, memo: undefined })).toBeInstanceOf(SelfPaymentError)
    expect(await payments.payInvoice({ wallet: alice, paymentRequest: expired.paymentRequest, memo: undefined })).toBeInstanceOf(InvoiceExpiredError)
    expect(await payments.payInvoice({ wallet: alice, paymentRequest: "lnsb-nothing", memo: undefined })).toBeInstanceOf(InvoiceNotFoundError)
  })

  it("pays once when retried with the same idempotency key, answering SUCCESS (not ALREADY_PAID)", async () => {
    const { payments, ledger, invoices, alice, bob } = await setup()
    const invoice = invoices.issue(bob, { amountSats: 1500 })
    const pay = () => payments.payInvoice({ wallet: alice, paymentRequest: invoice.paymentRequest, memo: undefined, idempotencyKey: "inv-1" })
    expect(await pay()).toBe("SUCCESS")
    expect(await pay()).toBe("SUCCESS")
    expect(ledger.balanceOf(alice.id)).toBe(8500)
  })

  it("replayed after its first attempt died between debit and credit, finishes it at once: the credit, the invoice paid, PAID told", async () => {
    const { payments, ledger, invoices, published, alice, bob } = await setup()
    const invoice = invoices.issue(bob, { amountSats: 1500 })
    const pay = () => payments.payInvoice({ wallet: alice, paymentRequest: invoice.paymentRequest, memo: undefined, idempotencyKey: "inv-2" })
    ledger.state.failAppend = (a) => a.entryKey.startsWith("credit:")
    expect(await pay()).toBe("PENDING")
    ledger.state.failAppend = undefined
    expect(invoices.invoice(invoice.paymentHash)?.paidAt).toBeUndefined()

    expect(await pay()).toBe("SUCCESS")
    expect(ledger.balanceOf(alice.id)).toBe(8500)
    expect(ledger.balanceOf(bob.id)).toBe(1500)
    expect(invoices.invoice(invoice.paymentHash)?.paidAt).toBeInstanceOf(Date)
    expect(published.map((p) => p.topic)).toContain(`invoice:${invoice.paymentHash}`)
    // A further replay moves nothing and tells no one again.
    const told = published.length
    expect(await pay()).toBe("SUCCESS")
    expect(ledger.entriesOf(bob.id)).toHaveLength(1)
    expect(published).toHaveLength(told)
  })
})

describe("the sandbox's external payer", () => {
  it("credits the invoice's wallet once, however often it pays", async () => {
    const { payments, ledger, invoices, bob } = await setup()
    const invoice = invoices.issue(bob, { amountSats: 2000 })
    expect(await payments.payAsExternalPayer(invoice.paymentRequest)).toMatchObject({ status: "PAID", paymentHash: invoice.paymentHash })
    expect(await payments.payAsExternalPayer(invoice.paymentRequest)).toMatchObject({ status: "ALREADY_PAID" })
    expect(ledger.balanceOf(bob.id)).toBe(2000)
    expect(ledger.entriesOf(bob.id)).toHaveLength(1)
  })
})
