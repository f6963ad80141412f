// A write token's dailySendLimit: a rolling-24 h total per token and wallet,
// reserved atomically with the debit in an append-only spend log, so parallel
// payments cannot both slip under it. User sessions have no such limit.
import { randomUUID } from "node:crypto"
import type { Principal } from "@/graphql/context"
import { ApiTokenSpendModel, ApiTokenSpendsRepository } from "@/services/mongoose/api-token-spends"
import { LedgerEntryModel } from "@/services/mongoose/ledger-schema"
import {
  apiTokenPrincipal,
  balanceOf,
  CREATE_INVOICE,
  entriesOf,
  fund,
  gql,
  newAccount,
  PAY_INTRALEDGER,
  PAY_INVOICE,
  setUpWallets,
  tearDownWallets,
  TestAccount,
} from "./wallet-helpers"

beforeAll(setUpWallets)
afterAll(tearDownWallets)

const limitedToken = (a: TestAccount, dailySendLimit: number | undefined): Principal => ({
  ...(apiTokenPrincipal(a, undefined) as Extract<Principal, { kind: "apiToken" }>),
  apiTokenId: `tok-${randomUUID()}`,
  dailySendLimit,
})

const send = (p: Principal, from: TestAccount, to: TestAccount, amount: number) =>
  gql(p, PAY_INTRALEDGER, { input: { walletId: from.btc.id, recipientWalletId: to.btc.id, amount } }).then(
    (d) => d.intraLedgerPaymentSend as { status: string; errors: Array<{ code: string }> },
  )

describe("dailySendLimit of an API token", () => {
  it("lets payments through up to the limit, then refuses with DAILY_SEND_LIMIT_EXCEEDED and writes no ledger entry", async () => {
    const payer = await newAccount()
    const payee = await newAccount()
    await fund(payer, 10_000)
    const token = limitedToken(payer, 1000)

    expect(await send(token, payer, payee, 600)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await send(token, payer, payee, 400)).toEqual({ status: "SUCCESS", errors: [] })
    const entriesBefore = await entriesOf(payer.btc.id)
    const refused = await send(token, payer, payee, 1)
    expect(refused.status).toBe("FAILURE")
    expect(refused.errors.map((e) => e.code)).toEqual(["DAILY_SEND_LIMIT_EXCEEDED"])
    expect(await entriesOf(payer.btc.id)).toBe(entriesBefore)
    expect(await balanceOf(payer.principal, payer.btc.id)).toBe(9000)
    expect(await ApiTokenSpendsRepository().sentInWindow((token as { apiTokenId: string }).apiTokenId, payer.btc.id)).toBe(1000)
  })

  it("20 parallel payments of 100 against a limit of 1000: exactly 10 succeed, the rest are refused", async () => {
    const payer = await newAccount()
    const payee = await newAccount()
    await fund(payer, 10_000)
    const token = limitedToken(payer, 1000)
    const results = await Promise.all(Array.from({ length: 20 }, () => send(token, payer, payee, 100)))
    const ok = results.filter((r) => r.status === "SUCCESS")
    expect(ok).toHaveLength(10)
    for (const r of results.filter((r) => r.status !== "SUCCESS")) expect(r.errors.map((e) => e.code)).toEqual(["DAILY_SEND_LIMIT_EXCEEDED"])
    expect(await balanceOf(payer.principal, payer.btc.id)).toBe(9000)
    expect(await balanceOf(payee.principal, payee.btc.id)).toBe(1000)
    expect(await LedgerEntryModel.countDocuments({ walletId: payer.btc.id, direction: "SEND" })).toBe(10)
  })

  it("a debit refused for the balance gives its reservation back", async () => {
    const payer = await newAccount()
    const payee = await newAccount()
    await fund(payer, 300)
    const token = limitedToken(payer, 1000)
    const short = await send(token, payer, payee, 500)
    expect(short.errors.map((e) => e.code)).toEqual(["INSUFFICIENT_BALANCE"])
    const tokenId = (token as { apiTokenId: string }).apiTokenId
    expect(await ApiTokenSpendsRepository().sentInWindow(tokenId, payer.btc.id)).toBe(0)
    expect(await send(token, payer, payee, 300)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await ApiTokenSpendsRepository().sentInWindow(tokenId, payer.btc.id)).toBe(300)
  })

  it("a refused invoice payment leaves the invoice payable by someone else", async () => {
    const payer = await newAccount()
    const other = await newAccount()
    const merchant = await newAccount()
    await fund(payer, 5000)
    await fund(other, 5000)
    const inv = (await gql(merchant.principal, CREATE_INVOICE, { input: { walletId: merchant.btc.id, amount: 2000 } })).lnInvoiceCreate.invoice
    const token = limitedToken(payer, 1000)
    const refused = await gql(token, PAY_INVOICE, { input: { walletId: payer.btc.id, paymentRequest: inv.paymentRequest } })
    expect(refused.lnInvoicePaymentSend.errors.map((e: { code: string }) => e.code)).toEqual(["DAILY_SEND_LIMIT_EXCEEDED"])
    const paid = await gql(other.principal, PAY_INVOICE, { input: { walletId: other.btc.id, paymentRequest: inv.paymentRequest } })
    expect(paid.lnInvoicePaymentSend).toEqual({ status: "SUCCESS", errors: [] })
  })

  it("only entries of the last 24 h count", async () => {
    const payer = await newAccount()
    const payee = await newAccount()
    await fund(payer, 5000)
    const token = limitedToken(payer, 1000)
    const tokenId = (token as { apiTokenId: string }).apiTokenId
    expect(await send(token, payer, payee, 1000)).toEqual({ status: "SUCCESS", errors: [] })
    // Age the reservation past the window: the whole limit is available again.
    await ApiTokenSpendModel.updateMany({ tokenId }, { $set: { createdAt: new Date(Date.now() - 25 * 3600_000) } })
    expect(await ApiTokenSpendsRepository().sentInWindow(tokenId, payer.btc.id)).toBe(0)
    expect(await send(token, payer, payee, 1000)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await send(token, payer, payee, 1)).toMatchObject({ status: "FAILURE" })
  })

  it("does not apply to a user session, nor to a token without a limit", async () => {
    const payer = await newAccount()
    const payee = await newAccount()
    await fund(payer, 5000)
    expect(await send(payer.principal, payer, payee, 3000)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await send(limitedToken(payer, undefined), payer, payee, 1500)).toEqual({ status: "SUCCESS", errors: [] })
    expect(await ApiTokenSpendModel.countDocuments({ walletId: payer.btc.id })).toBe(0)
  })
})
