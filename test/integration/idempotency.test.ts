// Idempotency keys follow Stripe's rule: the same key with the same parameters
// answers the first result and pays once; the same key with any different
// parameter answers IDEMPOTENCY_KEY_REUSED and moves nothing; keys belong to
// the sending account. Against the stack's FerretDB, concurrency included.
import { randomUUID } from "node:crypto"
import { LedgerEntryModel } from "@/services/mongoose/ledger-schema"
import { ApiTokenSpendModel, ApiTokenSpendsRepository } from "@/services/mongoose/api-token-spends"
import { IdempotencyKeyModel } from "@/services/mongoose/idempotency-keys"
import { InvoiceSettlementModel } from "@/services/mongoose/ledger-schema"
import { idempotencyScopeId, requestFingerprint } from "@/domain/payments/idempotency"
import type { ApiTokenBudget } from "@/domain/api-tokens"
import type { Principal } from "@/domain/auth/principal"
import {
  apiTokenPrincipal,
  balanceOf,
  CREATE_INVOICE,
  CREATE_NO_AMOUNT_INVOICE,
  entriesOf,
  fund,
  gql,
  newAccount,
  PAY_INTRALEDGER,
  PAY_INVOICE,
  PAY_NO_AMOUNT,
  setUpWallets,
  tearDownWallets,
  TestAccount,
} from "./wallet-helpers"

beforeAll(setUpWallets)
afterAll(tearDownWallets)

type Payload = { status: string; errors: Array<{ code: string; message: string }> }
const REUSED: Payload = { status: "FAILURE", errors: [{ code: "IDEMPOTENCY_KEY_REUSED", message: expect.stringContaining("nothing was sent") }] }

const payIntraLedger = async (principal: Principal, input: Record<string, unknown>): Promise<Payload> =>
  (await gql(principal, PAY_INTRALEDGER, { input })).intraLedgerPaymentSend
const payInvoice = async (principal: Principal, input: Record<string, unknown>): Promise<Payload> =>
  (await gql(principal, PAY_INVOICE, { input })).lnInvoicePaymentSend
const invoiceFor = async (a: TestAccount, sats: number) =>
  (await gql(a.principal, CREATE_INVOICE, { input: { walletId: a.btc.id, amount: sats } })).lnInvoiceCreate.invoice as {
    paymentRequest: string
    paymentHash: string
  }
const key = () => `order-${randomUUID()}`
/** A DAILY budget in sats, as the deprecated dailySendLimit was. */
const dailySats = (amount: number): ApiTokenBudget => ({ amount, unit: "SATS", period: "DAILY" })

describe("intraLedgerPaymentSend with an idempotency key", () => {
  let sender: TestAccount
  let recipient: TestAccount
  let other: TestAccount
  beforeEach(async () => {
    sender = await newAccount()
    recipient = await newAccount()
    other = await newAccount()
    await fund(sender, 1000)
  })

  it("answers the first result to a replay with the same parameters, and pays once", async () => {
    const input = { walletId: sender.btc.id, recipientWalletId: recipient.btc.id, amount: 200, memo: "rent", idempotencyKey: key() }
    expect(await payIntraLedger(sender.principal, input)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await payIntraLedger(sender.principal, input)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await balanceOf(sender.principal, sender.btc.id)).toBe(800)
    expect(await balanceOf(recipient.principal, recipient.btc.id)).toBe(200)
  })

  it.each([
    ["another recipient", (r: Record<string, unknown>, o: TestAccount) => ({ ...r, recipientWalletId: o.btc.id })],
    ["another amount", (r: Record<string, unknown>) => ({ ...r, amount: 201 })],
    ["another memo", (r: Record<string, unknown>) => ({ ...r, memo: "rent, June" })],
    ["no memo where the first had one", (r: Record<string, unknown>) => ({ ...r, memo: undefined })],
  ])("refuses the key with %s: IDEMPOTENCY_KEY_REUSED, nothing moves", async (_what, change) => {
    const first = { walletId: sender.btc.id, recipientWalletId: recipient.btc.id, amount: 200, memo: "rent", idempotencyKey: key() }
    expect(await payIntraLedger(sender.principal, first)).toEqual({ status: "SUCCESS", errors: [] })
    const entries = { sender: await entriesOf(sender.btc.id), recipient: await entriesOf(recipient.btc.id), other: await entriesOf(other.btc.id) }

    expect(await payIntraLedger(sender.principal, change(first, other))).toEqual(REUSED)
    expect(await balanceOf(sender.principal, sender.btc.id)).toBe(800)
    expect(await balanceOf(recipient.principal, recipient.btc.id)).toBe(200)
    expect(await balanceOf(other.principal, other.btc.id)).toBe(0)
    expect({ sender: await entriesOf(sender.btc.id), recipient: await entriesOf(recipient.btc.id), other: await entriesOf(other.btc.id) }).toEqual(entries)
    // The first request still answers its first result.
    expect(await payIntraLedger(sender.principal, first)).toEqual({ status: "SUCCESS", errors: [] })
  })

  it("of concurrent requests with one key and different amounts, exactly one moves money", async () => {
    const idempotencyKey = key()
    const amounts = Array.from({ length: 8 }, (_, i) => 10 + i)
    const results = await Promise.all(
      amounts.map((amount) => payIntraLedger(sender.principal, { walletId: sender.btc.id, recipientWalletId: recipient.btc.id, amount, idempotencyKey })),
    )
    const won = results.flatMap((r, i) => (r.status === "SUCCESS" ? [amounts[i]] : []))
    expect(won).toHaveLength(1)
    expect(results.filter((r) => r.errors[0]?.code === "IDEMPOTENCY_KEY_REUSED")).toHaveLength(7)
    expect(await balanceOf(sender.principal, sender.btc.id)).toBe(1000 - won[0]!)
    expect(await balanceOf(recipient.principal, recipient.btc.id)).toBe(won[0]!)
    expect(await LedgerEntryModel.countDocuments({ walletId: sender.btc.id, direction: "SEND" })).toBe(1)
  }, 60_000)

  it("of concurrent requests with one key and different recipients, exactly one is paid", async () => {
    const idempotencyKey = key()
    const recipients = [recipient, other, await newAccount(), await newAccount()]
    const results = await Promise.all(
      recipients.map((r) => payIntraLedger(sender.principal, { walletId: sender.btc.id, recipientWalletId: r.btc.id, amount: 50, idempotencyKey })),
    )
    expect(results.filter((r) => r.status === "SUCCESS")).toHaveLength(1)
    const received = await Promise.all(recipients.map((r) => balanceOf(r.principal, r.btc.id)))
    expect(received.sort((a, b) => b - a)).toEqual([50, 0, 0, 0])
    expect(await balanceOf(sender.principal, sender.btc.id)).toBe(950)
  }, 60_000)

  it("keeps keys per account: another account's identical key is its own payment", async () => {
    await fund(other, 500)
    const idempotencyKey = key()
    expect(await payIntraLedger(sender.principal, { walletId: sender.btc.id, recipientWalletId: recipient.btc.id, amount: 100, idempotencyKey })).toEqual({
      status: "SUCCESS",
      errors: [],
    })
    // Same key, other parameters, other tenant: neither refused nor answered from the first account's payment.
    expect(await payIntraLedger(other.principal, { walletId: other.btc.id, recipientWalletId: recipient.btc.id, amount: 30, idempotencyKey })).toEqual({
      status: "SUCCESS",
      errors: [],
    })
    expect(await balanceOf(other.principal, other.btc.id)).toBe(470)
    expect(await balanceOf(recipient.principal, recipient.btc.id)).toBe(130)
  })

  it("shares keys between the account's user session and its API tokens", async () => {
    const idempotencyKey = key()
    const input = { walletId: sender.btc.id, recipientWalletId: recipient.btc.id, amount: 100, idempotencyKey }
    expect(await payIntraLedger(sender.principal, input)).toEqual({ status: "SUCCESS", errors: [] })
    const token = apiTokenPrincipal(sender, undefined)
    expect(await payIntraLedger(token, input)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await payIntraLedger(token, { ...input, amount: 99 })).toEqual(REUSED)
    expect(await balanceOf(sender.principal, sender.btc.id)).toBe(900)
  })

  it("frees a key whose payment was refused: after funding, the retry pays once", async () => {
    const idempotencyKey = key()
    const input = { walletId: sender.btc.id, recipientWalletId: recipient.btc.id, amount: 1500, idempotencyKey }
    expect((await payIntraLedger(sender.principal, input)).errors[0]?.code).toBe("INSUFFICIENT_BALANCE")
    await fund(sender, 1000)
    expect(await payIntraLedger(sender.principal, input)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await payIntraLedger(sender.principal, input)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await balanceOf(sender.principal, sender.btc.id)).toBe(500)
    expect(await balanceOf(recipient.principal, recipient.btc.id)).toBe(1500)
  })

  it("counts a retried key against the token's budget after an earlier refusal", async () => {
    // A refused attempt released its reservation; the retry must reserve again,
    // not find the old reservation and pay outside the budget.
    const token = { ...apiTokenPrincipal(sender, undefined), apiTokenId: `limit-${randomUUID()}`, budget: dailySats(1200) }
    const idempotencyKey = key()
    const input = { walletId: sender.btc.id, recipientWalletId: recipient.btc.id, amount: 1100, idempotencyKey }
    expect((await payIntraLedger(token, input)).errors[0]?.code).toBe("INSUFFICIENT_BALANCE")
    await fund(sender, 2000)
    expect(await payIntraLedger(token, input)).toEqual({ status: "SUCCESS", errors: [] })
    const net = (await ApiTokenSpendModel.find({ tokenId: token.apiTokenId }).lean()).reduce((sum, e) => sum + (e.sats ?? 0), 0)
    expect(net).toBe(1100)
    const more = await payIntraLedger(token, { walletId: sender.btc.id, recipientWalletId: recipient.btc.id, amount: 200 })
    expect(more.errors[0]?.code).toBe("BUDGET_EXCEEDED")
  })
})

describe("invoice payments with an idempotency key", () => {
  let payer: TestAccount
  let merchant: TestAccount
  beforeEach(async () => {
    payer = await newAccount()
    merchant = await newAccount()
    await fund(payer, 5000)
  })

  it("answers SUCCESS (the first result, not ALREADY_PAID) to a replay of lnInvoicePaymentSend", async () => {
    const inv = await invoiceFor(merchant, 700)
    const input = { walletId: payer.btc.id, paymentRequest: inv.paymentRequest, idempotencyKey: key() }
    expect(await payInvoice(payer.principal, input)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await payInvoice(payer.principal, input)).toEqual({ status: "SUCCESS", errors: [] })
    // Without the key, paying a paid invoice still says so.
    expect((await payInvoice(payer.principal, { walletId: payer.btc.id, paymentRequest: inv.paymentRequest })).status).toBe("ALREADY_PAID")
    expect(await balanceOf(payer.principal, payer.btc.id)).toBe(4300)
  })

  it("refuses the key for another invoice, and that invoice stays unpaid", async () => {
    const first = await invoiceFor(merchant, 700)
    const second = await invoiceFor(merchant, 900)
    const idempotencyKey = key()
    expect(await payInvoice(payer.principal, { walletId: payer.btc.id, paymentRequest: first.paymentRequest, idempotencyKey })).toEqual({
      status: "SUCCESS",
      errors: [],
    })
    expect(await payInvoice(payer.principal, { walletId: payer.btc.id, paymentRequest: second.paymentRequest, idempotencyKey })).toEqual(REUSED)
    expect(await balanceOf(merchant.principal, merchant.btc.id)).toBe(700)
    expect(await LedgerEntryModel.countDocuments({ paymentHash: second.paymentHash })).toBe(0)
    // The invoice can still be paid under a new key.
    expect(await payInvoice(payer.principal, { walletId: payer.btc.id, paymentRequest: second.paymentRequest, idempotencyKey: key() })).toEqual({
      status: "SUCCESS",
      errors: [],
    })
  })

  it("refuses the key from another wallet of the same account", async () => {
    const inv = await invoiceFor(merchant, 700)
    const idempotencyKey = key()
    expect(await payInvoice(payer.principal, { walletId: payer.btc.id, paymentRequest: inv.paymentRequest, idempotencyKey })).toEqual({
      status: "SUCCESS",
      errors: [],
    })
    expect(await payInvoice(payer.principal, { walletId: payer.usd.id, paymentRequest: inv.paymentRequest, idempotencyKey })).toEqual(REUSED)
  })

  it("refuses a key used by one mutation in another", async () => {
    const idempotencyKey = key()
    expect(await payIntraLedger(payer.principal, { walletId: payer.btc.id, recipientWalletId: merchant.btc.id, amount: 10, idempotencyKey })).toEqual({
      status: "SUCCESS",
      errors: [],
    })
    const inv = await invoiceFor(merchant, 10)
    expect(await payInvoice(payer.principal, { walletId: payer.btc.id, paymentRequest: inv.paymentRequest, idempotencyKey })).toEqual(REUSED)
    expect(await balanceOf(payer.principal, payer.btc.id)).toBe(4990)
  })

  it("lnNoAmountInvoicePaymentSend: the same amount replays, another amount is refused", async () => {
    const inv = (await gql(merchant.principal, CREATE_NO_AMOUNT_INVOICE, { input: { walletId: merchant.btc.id } })).lnNoAmountInvoiceCreate.invoice as {
      paymentRequest: string
    }
    const input = { walletId: payer.btc.id, paymentRequest: inv.paymentRequest, amount: 321, idempotencyKey: key() }
    const pay = async (i: Record<string, unknown>): Promise<Payload> => (await gql(payer.principal, PAY_NO_AMOUNT, { input: i })).lnNoAmountInvoicePaymentSend
    expect(await pay(input)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await pay(input)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await pay({ ...input, amount: 322 })).toEqual(REUSED)
    expect(await balanceOf(merchant.principal, merchant.btc.id)).toBe(321)
  })

  it("of concurrent requests with one key and different invoices, exactly one invoice is paid and the others stay payable", async () => {
    const invoices = await Promise.all([300, 400, 500, 600].map((s) => invoiceFor(merchant, s)))
    const idempotencyKey = key()
    const results = await Promise.all(invoices.map((inv) => payInvoice(payer.principal, { walletId: payer.btc.id, paymentRequest: inv.paymentRequest, idempotencyKey })))
    expect(results.filter((r) => r.status === "SUCCESS")).toHaveLength(1)
    expect(results.filter((r) => r.errors[0]?.code === "IDEMPOTENCY_KEY_REUSED")).toHaveLength(3)
    const paid = invoices.filter((_, i) => results[i]?.status === "SUCCESS")
    expect(await balanceOf(merchant.principal, merchant.btc.id)).toBe([300, 400, 500, 600][results.findIndex((r) => r.status === "SUCCESS")])
    for (const inv of invoices.filter((i) => !paid.includes(i))) {
      expect(await payInvoice(payer.principal, { walletId: payer.btc.id, paymentRequest: inv.paymentRequest })).toEqual({ status: "SUCCESS", errors: [] })
    }
    expect(await balanceOf(merchant.principal, merchant.btc.id)).toBe(1800)
  }, 60_000)
})

describe("a replay after the first attempt died half-way", () => {
  // The state a crash leaves: the key's record (and, for an invoice, its claim)
  // written, no debit. The replay resumes that payment under the record's
  // transfer id; a different request with the key is still refused.
  const diedAfterBinding = async (accountId: string, key: string, request: Parameters<typeof requestFingerprint>[0]) => {
    const transferId = `idem-${randomUUID()}`
    await IdempotencyKeyModel.create({
      _id: idempotencyScopeId(accountId, key),
      accountId,
      fingerprint: requestFingerprint(request),
      transferId,
      createdAt: new Date(),
    })
    return transferId
  }

  it("intraLedgerPaymentSend: the replay pays, once, under the first attempt's transfer id", async () => {
    const sender = await newAccount()
    const recipient = await newAccount()
    await fund(sender, 1000)
    const idempotencyKey = key()
    const transferId = await diedAfterBinding(sender.account.id, idempotencyKey, {
      operation: "intraLedgerPaymentSend",
      senderWalletId: sender.btc.id,
      recipient: recipient.btc.id,
      amount: 300,
      memo: undefined,
    })
    const input = { walletId: sender.btc.id, recipientWalletId: recipient.btc.id, amount: 300, idempotencyKey }
    expect(await payIntraLedger(sender.principal, { ...input, amount: 301 })).toEqual(REUSED)
    expect(await payIntraLedger(sender.principal, input)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await payIntraLedger(sender.principal, input)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await LedgerEntryModel.countDocuments({ entryKey: `debit:${transferId}` })).toBe(1)
    expect(await balanceOf(sender.principal, sender.btc.id)).toBe(700)
    expect(await balanceOf(recipient.principal, recipient.btc.id)).toBe(300)
  })

  it("a replay whose reservation the recovery job already gave back reserves again: the budget still counts it", async () => {
    const sender = await newAccount()
    const recipient = await newAccount()
    await fund(sender, 5000)
    const budget = dailySats(1000)
    const token = { ...apiTokenPrincipal(sender, undefined), apiTokenId: `limit-${randomUUID()}`, budget }
    const idempotencyKey = key()
    const staleTransferId = await diedAfterBinding(sender.account.id, idempotencyKey, {
      operation: "intraLedgerPaymentSend",
      senderWalletId: sender.btc.id,
      recipient: recipient.btc.id,
      amount: 800,
      memo: undefined,
    })
    // The first attempt reserved, died before its debit, and the recovery job released the reservation.
    const spends = ApiTokenSpendsRepository()
    const reservation = { tokenId: token.apiTokenId, walletId: sender.btc.id, transferId: staleTransferId, value: { sats: 800, cents: 80 } }
    const reserved = await spends.reserve(reservation, budget)
    if (reserved instanceof Error) throw reserved
    expect(await spends.release(reserved)).toBe(true)

    const input = { walletId: sender.btc.id, recipientWalletId: recipient.btc.id, amount: 800, idempotencyKey }
    expect(await payIntraLedger(token, input)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await payIntraLedger(token, input)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await LedgerEntryModel.countDocuments({ entryKey: `debit:${staleTransferId}` })).toBe(0)
    expect(await spends.usage(token.apiTokenId, budget)).toMatchObject({ used: 800, remaining: 200 })
    const more = await payIntraLedger(token, { walletId: sender.btc.id, recipientWalletId: recipient.btc.id, amount: 300 })
    expect(more.errors[0]?.code).toBe("BUDGET_EXCEEDED")
    expect(await balanceOf(sender.principal, sender.btc.id)).toBe(4200)
  })

  it("lnInvoicePaymentSend: the replay resumes the invoice claim its first attempt holds, and pays once", async () => {
    const payer = await newAccount()
    const merchant = await newAccount()
    await fund(payer, 1000)
    const inv = await invoiceFor(merchant, 400)
    const idempotencyKey = key()
    const transferId = await diedAfterBinding(payer.account.id, idempotencyKey, {
      operation: "lnInvoicePaymentSend",
      senderWalletId: payer.btc.id,
      recipient: inv.paymentHash,
      amount: undefined,
      memo: undefined,
    })
    await InvoiceSettlementModel.create({ _id: inv.paymentHash, transferId, payerWalletId: payer.btc.id, createdAt: new Date() })
    // Another payer meets the claim and is told the invoice is being paid.
    const other = await newAccount()
    await fund(other, 1000)
    expect((await payInvoice(other.principal, { walletId: other.btc.id, paymentRequest: inv.paymentRequest })).errors[0]?.code).toBe("PAYMENT_IN_PROGRESS")

    const input = { walletId: payer.btc.id, paymentRequest: inv.paymentRequest, idempotencyKey }
    expect(await payInvoice(payer.principal, input)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await payInvoice(payer.principal, input)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await LedgerEntryModel.countDocuments({ paymentHash: inv.paymentHash })).toBe(2)
    expect(await balanceOf(payer.principal, payer.btc.id)).toBe(600)
    expect(await balanceOf(other.principal, other.btc.id)).toBe(1000)
    expect(await balanceOf(merchant.principal, merchant.btc.id)).toBe(400)
  })
})
