// A write token's budget: one amount in one unit for every wallet of the token,
// each payment converted at its own price, reserved atomically with the debit
// in an append-only spend log, so parallel payments cannot both slip under it.
// A refusal writes nothing: no ledger entry, the invoice and the idempotency
// key free again. User sessions have no budget.
import { randomUUID } from "node:crypto"
import { ApiTokenBudget, budgetPeriodAt } from "@/domain/api-tokens"
import type { Principal } from "@/domain/auth/principal"
import { ApiTokenSpendModel, ApiTokenSpendsRepository } from "@/services/mongoose/api-token-spends"
import { LedgerEntryModel } from "@/services/mongoose/ledger-schema"
import {
  apiTokenPrincipal,
  balanceOf,
  CREATE_INVOICE,
  CREATE_NO_AMOUNT_INVOICE,
  CREATE_USD_INVOICE,
  entriesOf,
  fund,
  gql,
  newAccount,
  PAY_INTRALEDGER,
  PAY_INVOICE,
  PAY_NO_AMOUNT_USD,
  payExternally,
  setUpWallets,
  tearDownWallets,
  TestAccount,
} from "./wallet-helpers"

beforeAll(setUpWallets)
afterAll(tearDownWallets)

type Token = Extract<Principal, { kind: "apiToken" }>
type Outcome = { status: string; errors: Array<{ code: string; message: string }> }

const budgeted = (a: TestAccount, budget: ApiTokenBudget | undefined): Token => ({
  ...(apiTokenPrincipal(a, undefined) as Token),
  apiTokenId: `tok-${randomUUID()}`,
  budget,
})

const usageOf = async (t: Token) => {
  const u = await ApiTokenSpendsRepository().usage(t.apiTokenId, t.budget!)
  if (u instanceof Error) throw u
  return u
}

const fundUsd = async (a: TestAccount, cents: number) => {
  const d = await gql(a.principal, CREATE_USD_INVOICE, { input: { walletId: a.usd.id, amount: cents } })
  const paid = await payExternally(d.lnUsdInvoiceCreate.invoice.paymentRequest)
  if (paid.status !== 200) throw new Error(`funding failed: ${JSON.stringify(paid.body)}`)
}

const sendSats = (p: Principal, from: TestAccount, to: TestAccount, amount: number, idempotencyKey?: string): Promise<Outcome> =>
  gql(p, PAY_INTRALEDGER, { input: { walletId: from.btc.id, recipientWalletId: to.btc.id, amount, idempotencyKey } }).then(
    (d) => d.intraLedgerPaymentSend,
  )

const noAmountInvoiceOf = async (a: TestAccount) =>
  (await gql(a.principal, CREATE_NO_AMOUNT_INVOICE, { input: { walletId: a.btc.id } })).lnNoAmountInvoiceCreate.invoice.paymentRequest as string

/** `cents` from the payer's USD wallet to a no-amount invoice of `to`. */
const sendCents = async (p: Principal, from: TestAccount, to: TestAccount, cents: number, paymentRequest?: string): Promise<Outcome> =>
  (await gql(p, PAY_NO_AMOUNT_USD, { input: { walletId: from.usd.id, paymentRequest: paymentRequest ?? (await noAmountInvoiceOf(to)), amount: cents } }))
    .lnNoAmountUsdInvoicePaymentSend

const codes = (o: Outcome) => o.errors.map((e) => e.code)

describe("one budget for every wallet of a token", () => {
  it("the red-team case: a budget of 300 sats lets 300 sats go from the BTC wallet, then refuses 300 cents from the USD wallet with BUDGET_EXCEEDED", async () => {
    const payer = await newAccount()
    const payee = await newAccount()
    await fund(payer, 10_000)
    await fundUsd(payer, 1000)
    const token = budgeted(payer, { amount: 300, unit: "SATS", period: "DAILY" })

    expect(await sendSats(token, payer, payee, 300)).toEqual({ status: "SUCCESS", errors: [] })
    const usdEntries = await entriesOf(payer.usd.id)
    const invoice = await noAmountInvoiceOf(payee)
    const refused = await sendCents(token, payer, payee, 300, invoice)
    expect(refused.status).toBe("FAILURE")
    expect(codes(refused)).toEqual(["BUDGET_EXCEEDED"])
    expect(refused.errors[0]).toMatchObject({ message: expect.stringContaining("300 sats per UTC day; 300 used, this payment (3000 sats)") })
    expect(refused.errors[0]!.message).toContain(`it renews at ${budgetPeriodAt("DAILY", new Date()).renewsAt!.toISOString()}`)
    // Nothing was written: no ledger entry, the USD balance intact, the invoice payable by someone else.
    expect(await entriesOf(payer.usd.id)).toBe(usdEntries)
    expect(await balanceOf(payer.principal, payer.usd.id)).toBe(1000)
    expect(await usageOf(token)).toMatchObject({ used: 300, remaining: 0 })
    expect(await sendCents(payer.principal, payer, payee, 300, invoice)).toEqual({ status: "SUCCESS", errors: [] })
  })

  it("a budget in USD cents counts a BTC payment at its price, rounded up: 3000 sats use 300 cents, then 1 sat (a part of a cent) is refused", async () => {
    const payer = await newAccount()
    const payee = await newAccount()
    await fund(payer, 10_000)
    await fundUsd(payer, 1000)
    const token = budgeted(payer, { amount: 301, unit: "USD_CENTS", period: "MONTHLY" })
    expect(await sendSats(token, payer, payee, 3000)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await sendSats(token, payer, payee, 1)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await usageOf(token)).toMatchObject({ used: 301, remaining: 0 })
    expect(codes(await sendSats(token, payer, payee, 1))).toEqual(["BUDGET_EXCEEDED"])
    expect(codes(await sendCents(token, payer, payee, 1))).toEqual(["BUDGET_EXCEEDED"])
    expect(await balanceOf(payer.principal, payer.btc.id)).toBe(10_000 - 3001)
  })

  it("a USD wallet paying a sats invoice counts the cents it is charged (rounded up), not the sats the invoice asks", async () => {
    const payer = await newAccount()
    const merchant = await newAccount()
    await fundUsd(payer, 100)
    // 15 sats cost 2 cents, worth 20 sats: over a budget of 19 sats.
    const token = budgeted(payer, { amount: 19, unit: "SATS", period: "DAILY" })
    const inv = (await gql(merchant.principal, CREATE_INVOICE, { input: { walletId: merchant.btc.id, amount: 15 } })).lnInvoiceCreate.invoice
    const refused = await gql(token, PAY_INVOICE, { input: { walletId: payer.usd.id, paymentRequest: inv.paymentRequest } })
    expect(codes(refused.lnInvoicePaymentSend)).toEqual(["BUDGET_EXCEEDED"])
    const roomy = budgeted(payer, { amount: 20, unit: "SATS", period: "DAILY" })
    expect((await gql(roomy, PAY_INVOICE, { input: { walletId: payer.usd.id, paymentRequest: inv.paymentRequest } })).lnInvoicePaymentSend).toEqual({
      status: "SUCCESS",
      errors: [],
    })
    expect(await usageOf(roomy)).toMatchObject({ used: 20, remaining: 0 })
  })

  it("20 concurrent payments from both wallets against a budget of 1000 sats: exactly the 10 that fit succeed, and never more than the budget goes out", async () => {
    const payer = await newAccount()
    const payee = await newAccount()
    await fund(payer, 10_000)
    await fundUsd(payer, 1000)
    const token = budgeted(payer, { amount: 1000, unit: "SATS", period: "DAILY" })
    const invoices = await Promise.all(Array.from({ length: 10 }, () => noAmountInvoiceOf(payee)))
    // Each payment is worth 100 sats: 100 sats from BTC, or 10 cents from USD.
    const results = await Promise.all([
      ...Array.from({ length: 10 }, () => sendSats(token, payer, payee, 100).then((r) => ({ ...r, sats: 100 }))),
      ...invoices.map((inv) => sendCents(token, payer, payee, 10, inv).then((r) => ({ ...r, sats: 100 }))),
    ])
    const ok = results.filter((r) => r.status === "SUCCESS")
    expect(ok).toHaveLength(10)
    expect(ok.reduce((sum, r) => sum + r.sats, 0)).toBe(1000)
    for (const r of results.filter((r) => r.status !== "SUCCESS")) expect(codes(r)).toEqual(["BUDGET_EXCEEDED"])
    const sentSats = 10_000 - (await balanceOf(payer.principal, payer.btc.id))
    const sentCents = 1000 - (await balanceOf(payer.principal, payer.usd.id))
    expect(sentSats + sentCents * 10).toBe(1000)
    expect(await LedgerEntryModel.countDocuments({ walletId: { $in: [payer.btc.id, payer.usd.id] }, direction: "SEND" })).toBe(10)
    expect(await usageOf(token)).toMatchObject({ used: 1000, remaining: 0 })
  })

  it("a debit refused for the balance gives its reservation back", async () => {
    const payer = await newAccount()
    const payee = await newAccount()
    await fund(payer, 300)
    const token = budgeted(payer, { amount: 1000, unit: "SATS", period: "WEEKLY" })
    expect(codes(await sendSats(token, payer, payee, 500))).toEqual(["INSUFFICIENT_BALANCE"])
    expect(await usageOf(token)).toMatchObject({ used: 0, remaining: 1000 })
    expect(await sendSats(token, payer, payee, 300)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await usageOf(token)).toMatchObject({ used: 300, remaining: 700 })
  })

  it("a refused invoice payment leaves the invoice payable by someone else", async () => {
    const payer = await newAccount()
    const other = await newAccount()
    const merchant = await newAccount()
    await fund(payer, 5000)
    await fund(other, 5000)
    const inv = (await gql(merchant.principal, CREATE_INVOICE, { input: { walletId: merchant.btc.id, amount: 2000 } })).lnInvoiceCreate.invoice
    const token = budgeted(payer, { amount: 1000, unit: "SATS", period: "NEVER" })
    const refused = await gql(token, PAY_INVOICE, { input: { walletId: payer.btc.id, paymentRequest: inv.paymentRequest } })
    expect(codes(refused.lnInvoicePaymentSend)).toEqual(["BUDGET_EXCEEDED"])
    const paid = await gql(other.principal, PAY_INVOICE, { input: { walletId: other.btc.id, paymentRequest: inv.paymentRequest } })
    expect(paid.lnInvoicePaymentSend).toEqual({ status: "SUCCESS", errors: [] })
  })

  it("does not apply to a user session, nor to a token without a budget", async () => {
    const payer = await newAccount()
    const payee = await newAccount()
    await fund(payer, 5000)
    expect(await sendSats(payer.principal, payer, payee, 3000)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await sendSats(budgeted(payer, undefined), payer, payee, 1500)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await ApiTokenSpendModel.countDocuments({ walletId: payer.btc.id })).toBe(0)
  })
})

describe("the maximum per payment", () => {
  it("refuses a payment worth more than maxPerPayment with PAYMENT_OVER_MAX and writes nothing, then lets one at the maximum through", async () => {
    const payer = await newAccount()
    const payee = await newAccount()
    await fund(payer, 5000)
    const token = budgeted(payer, { amount: 1000, unit: "SATS", period: "DAILY", maxPerPayment: 200 })
    const idempotencyKey = `order-${randomUUID()}`
    const entriesBefore = await entriesOf(payer.btc.id)

    const refused = await sendSats(token, payer, payee, 201, idempotencyKey)
    expect(refused.status).toBe("FAILURE")
    expect(codes(refused)).toEqual(["PAYMENT_OVER_MAX"])
    expect(refused.errors[0]).toMatchObject({ message: expect.stringContaining("at most 200 sats per payment") })
    expect(await entriesOf(payer.btc.id)).toBe(entriesBefore)
    expect(await ApiTokenSpendModel.countDocuments({ tokenId: token.apiTokenId })).toBe(0)
    // The idempotency key is free again: the owner's session sends that very request with it.
    expect(await sendSats(payer.principal, payer, payee, 201, idempotencyKey)).toEqual({ status: "SUCCESS", errors: [] })

    expect(await sendSats(token, payer, payee, 200)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await usageOf(token)).toMatchObject({ used: 200, remaining: 800 })
  })

  it("counts in the budget's unit, whichever wallet pays, and leaves a refused invoice payable", async () => {
    const payer = await newAccount()
    const merchant = await newAccount()
    await fund(payer, 5000)
    const token = budgeted(payer, { amount: 500, unit: "USD_CENTS", period: "YEARLY", maxPerPayment: 20 })
    // 201 sats are worth 21 cents (rounded up): over the maximum of 20.
    const inv = (await gql(merchant.principal, CREATE_INVOICE, { input: { walletId: merchant.btc.id, amount: 201 } })).lnInvoiceCreate.invoice
    const refused = await gql(token, PAY_INVOICE, { input: { walletId: payer.btc.id, paymentRequest: inv.paymentRequest } })
    expect(codes(refused.lnInvoicePaymentSend)).toEqual(["PAYMENT_OVER_MAX"])
    expect(await ApiTokenSpendModel.countDocuments({ tokenId: token.apiTokenId })).toBe(0)
    const paid = await gql(payer.principal, PAY_INVOICE, { input: { walletId: payer.btc.id, paymentRequest: inv.paymentRequest } })
    expect(paid.lnInvoicePaymentSend).toEqual({ status: "SUCCESS", errors: [] })
    expect(await sendSats(token, payer, merchant, 200)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await usageOf(token)).toMatchObject({ used: 20, remaining: 480 })
  })
})
