// Sending: balances move once, concurrent payments never overdraw, bad inputs
// each get their own code and leave no ledger entry, and a wallet outside the
// caller's reach (another account, or outside an API token's wallet list) is
// not found.
import { createHash, randomBytes } from "node:crypto"
import bolt11 from "bolt11"
import { LedgerEntryModel, WalletInvoiceModel } from "@/services/mongoose/ledger-schema"
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
  PAY_NO_AMOUNT,
  PAY_NO_AMOUNT_USD,
  setUpWallets,
  tearDownWallets,
  TestAccount,
  wallet,
} from "./wallet-helpers"

beforeAll(setUpWallets)
afterAll(tearDownWallets)

const invoiceFor = async (a: TestAccount, sats: number) =>
  (await gql(a.principal, CREATE_INVOICE, { input: { walletId: a.btc.id, amount: sats } })).lnInvoiceCreate.invoice as {
    paymentRequest: string
    paymentHash: string
  }

describe("paying another account's invoice", () => {
  it("moves the balances once; a second identical send moves nothing", async () => {
    const payer = await newAccount()
    const merchant = await newAccount()
    await fund(payer, 5000)
    const inv = await invoiceFor(merchant, 1200)

    const probe = await gql(payer.principal, `mutation($input: LnInvoiceFeeProbeInput!) { lnInvoiceFeeProbe(input: $input) { amount errors { code } } }`, {
      input: { walletId: payer.btc.id, paymentRequest: inv.paymentRequest },
    })
    expect(probe.lnInvoiceFeeProbe).toEqual({ amount: 0, errors: [] })

    const first = await gql(payer.principal, PAY_INVOICE, { input: { walletId: payer.btc.id, paymentRequest: inv.paymentRequest, memo: "thanks" } })
    expect(first.lnInvoicePaymentSend).toEqual({ status: "SUCCESS", errors: [] })
    expect(await balanceOf(payer.principal, payer.btc.id)).toBe(3800)
    expect(await balanceOf(merchant.principal, merchant.btc.id)).toBe(1200)

    const second = await gql(payer.principal, PAY_INVOICE, { input: { walletId: payer.btc.id, paymentRequest: inv.paymentRequest } })
    expect(second.lnInvoicePaymentSend.status).toBe("ALREADY_PAID")
    expect(await balanceOf(payer.principal, payer.btc.id)).toBe(3800)
    expect(await balanceOf(merchant.principal, merchant.btc.id)).toBe(1200)
    expect(await LedgerEntryModel.countDocuments({ paymentHash: inv.paymentHash })).toBe(2)
  })

  it("ten concurrent payers of one invoice: exactly one pays", async () => {
    const merchant = await newAccount()
    const payers = await Promise.all(Array.from({ length: 10 }, () => newAccount()))
    await Promise.all(payers.map((p) => fund(p, 100)))
    const inv = await invoiceFor(merchant, 60)
    const results = await Promise.all(
      payers.map((p) => gql(p.principal, PAY_INVOICE, { input: { walletId: p.btc.id, paymentRequest: inv.paymentRequest } })),
    )
    const statuses = results.map((r) => r.lnInvoicePaymentSend.status as string)
    expect(statuses.filter((s) => s === "SUCCESS")).toHaveLength(1)
    expect(await balanceOf(merchant.principal, merchant.btc.id)).toBe(60)
    const balances = await Promise.all(payers.map((p) => balanceOf(p.principal, p.btc.id)))
    expect(balances.reduce((a, b) => a + b, 0)).toBe(1000 - 60)
  })

  it("pays from a USD wallet and to a USD invoice at the dev price", async () => {
    const payer = await newAccount()
    const merchant = await newAccount()
    await fund(payer, 10_000)
    // BTC → USD invoice of 250 cents (2,500 sats)
    const usdInv = (await gql(merchant.principal, CREATE_USD_INVOICE, { input: { walletId: merchant.usd.id, amount: 250 } })).lnUsdInvoiceCreate.invoice
    expect((await gql(payer.principal, PAY_INVOICE, { input: { walletId: payer.btc.id, paymentRequest: usdInv.paymentRequest } })).lnInvoicePaymentSend.status).toBe("SUCCESS")
    expect(await balanceOf(merchant.principal, merchant.usd.id)).toBe(250)
    expect(await balanceOf(payer.principal, payer.btc.id)).toBe(7500)
    // USD → a no-amount BTC invoice, 100 cents (1,000 sats)
    const noAmount = (await gql(payer.principal, CREATE_NO_AMOUNT_INVOICE, { input: { walletId: payer.btc.id } })).lnNoAmountInvoiceCreate.invoice
    const r = await gql(merchant.principal, PAY_NO_AMOUNT_USD, { input: { walletId: merchant.usd.id, paymentRequest: noAmount.paymentRequest, amount: 100 } })
    expect(r.lnNoAmountUsdInvoicePaymentSend).toEqual({ status: "SUCCESS", errors: [] })
    expect(await balanceOf(merchant.principal, merchant.usd.id)).toBe(150)
    expect(await balanceOf(payer.principal, payer.btc.id)).toBe(8500)
  })
})

describe("concurrency", () => {
  it("fifty concurrent payments from one wallet never overdraw it", async () => {
    const sender = await newAccount()
    const recipient = await newAccount()
    await fund(sender, 1000)
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        gql(sender.principal, PAY_INTRALEDGER, { input: { walletId: sender.btc.id, recipientWalletId: recipient.btc.id, amount: 100, memo: `p${i}` } }),
      ),
    )
    const statuses = results.map((r) => r.intraLedgerPaymentSend.status as string)
    const codes = results.flatMap((r) => (r.intraLedgerPaymentSend.errors as Array<{ code: string }>).map((e) => e.code))
    expect(statuses.filter((s) => s === "SUCCESS")).toHaveLength(10)
    expect(codes.filter((c) => c === "INSUFFICIENT_BALANCE")).toHaveLength(40)
    expect(await balanceOf(sender.principal, sender.btc.id)).toBe(0)
    expect(await balanceOf(recipient.principal, recipient.btc.id)).toBe(1000)
    // The running balances of the ledger are one unbroken chain.
    const chain = await LedgerEntryModel.find({ walletId: sender.btc.id }).sort({ version: 1 }).lean()
    expect(chain.map((e) => e.version)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1))
    let running = 0
    for (const e of chain) {
      running += e.amount
      expect(e.balance).toBe(running)
      expect(e.balance).toBeGreaterThanOrEqual(0)
    }
  }, 120_000)

  it("an idempotency key makes a repeated intra-ledger send pay once", async () => {
    const sender = await newAccount()
    const recipient = await newAccount()
    await fund(sender, 500)
    const input = { walletId: sender.btc.id, recipientWalletId: recipient.btc.id, amount: 200, idempotencyKey: "order-7" }
    const results = await Promise.all([1, 2, 3].map(() => gql(sender.principal, PAY_INTRALEDGER, { input })))
    expect(results.map((r) => r.intraLedgerPaymentSend.status)).toEqual(["SUCCESS", "SUCCESS", "SUCCESS"])
    expect(await balanceOf(sender.principal, sender.btc.id)).toBe(300)
  })

  it("completes a transfer whose process died between debit and credit", async () => {
    const sender = await newAccount()
    const recipient = await newAccount()
    await fund(sender, 300)
    const debit = await wallet().ledger.append({
      walletId: sender.btc.id,
      amount: -120,
      entryKey: "debit:crash-test-" + sender.btc.id,
      transferId: "crash-test-" + sender.btc.id,
      kind: "intraledger",
      currency: "BTC",
      counterpartyWalletId: recipient.btc.id,
      creditAmount: 120,
    })
    expect(debit).not.toBeInstanceOf(Error)
    expect(await balanceOf(recipient.principal, recipient.btc.id)).toBe(0)
    await new Promise((r) => setTimeout(r, 5))
    const repaired = await wallet().payments.completeUnfinishedTransfers({ olderThanMs: 0 })
    expect(repaired).not.toBeInstanceOf(Error)
    expect(await balanceOf(recipient.principal, recipient.btc.id)).toBe(120)
    await wallet().payments.completeUnfinishedTransfers({ olderThanMs: 0 })
    expect(await balanceOf(recipient.principal, recipient.btc.id)).toBe(120)
  })
})

describe("bad inputs: each its own code, no ledger entry", () => {
  let payer: TestAccount
  let merchant: TestAccount
  beforeAll(async () => {
    payer = await newAccount()
    merchant = await newAccount()
    await fund(payer, 1000)
  })

  const foreignInvoice = () => {
    const hash = createHash("sha256").update(randomBytes(32)).digest("hex")
    const net = { bech32: "bcrt", pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] }
    const enc = bolt11.encode({ network: net, satoshis: 10, tags: [{ tagName: "payment_hash", data: hash }, { tagName: "description", data: "x" }] })
    return bolt11.sign(enc, randomBytes(32).toString("hex")).paymentRequest!
  }

  const cases: Array<[string, () => Promise<{ doc: string; input: Record<string, unknown>; field: string }>, string]> = [
    ["a malformed invoice", async () => ({ doc: PAY_INVOICE, field: "lnInvoicePaymentSend", input: { walletId: payer.btc.id, paymentRequest: "lnbcrt1notaninvoice" } }), "INVALID_PAYMENT_REQUEST"],
    ["an invoice of another node (unknown to the sandbox)", async () => ({ doc: PAY_INVOICE, field: "lnInvoicePaymentSend", input: { walletId: payer.btc.id, paymentRequest: foreignInvoice() } }), "INVOICE_NOT_FOUND"],
    [
      "an expired invoice",
      async () => {
        const inv = await invoiceFor(merchant, 10)
        await WalletInvoiceModel.updateOne({ _id: inv.paymentHash }, { $set: { expiresAt: new Date(Date.now() - 1000) } })
        return { doc: PAY_INVOICE, field: "lnInvoicePaymentSend", input: { walletId: payer.btc.id, paymentRequest: inv.paymentRequest } }
      },
      "INVOICE_EXPIRED",
    ],
    [
      "a zero amount",
      async () => {
        const inv = (await gql(merchant.principal, CREATE_NO_AMOUNT_INVOICE, { input: { walletId: merchant.btc.id } })).lnNoAmountInvoiceCreate.invoice
        return { doc: PAY_NO_AMOUNT, field: "lnNoAmountInvoicePaymentSend", input: { walletId: payer.btc.id, paymentRequest: inv.paymentRequest, amount: 0 } }
      },
      "INVALID_AMOUNT",
    ],
    [
      "a negative amount",
      async () => ({ doc: PAY_INTRALEDGER, field: "intraLedgerPaymentSend", input: { walletId: payer.btc.id, recipientWalletId: merchant.btc.id, amount: -5 } }),
      "INVALID_AMOUNT",
    ],
    [
      "an amount over the balance",
      async () => ({ doc: PAY_INVOICE, field: "lnInvoicePaymentSend", input: { walletId: payer.btc.id, paymentRequest: (await invoiceFor(merchant, 5000)).paymentRequest } }),
      "INSUFFICIENT_BALANCE",
    ],
    [
      "another account's wallet id",
      async () => ({ doc: PAY_INVOICE, field: "lnInvoicePaymentSend", input: { walletId: merchant.btc.id, paymentRequest: (await invoiceFor(payer, 10)).paymentRequest } }),
      "WALLET_NOT_FOUND",
    ],
    [
      "a wallet id that is not an id",
      async () => ({ doc: PAY_INTRALEDGER, field: "intraLedgerPaymentSend", input: { walletId: "not-a-wallet", recipientWalletId: merchant.btc.id, amount: 5 } }),
      "WALLET_NOT_FOUND",
    ],
    [
      "an unknown recipient wallet",
      async () => ({ doc: PAY_INTRALEDGER, field: "intraLedgerPaymentSend", input: { walletId: payer.btc.id, recipientWalletId: "00000000-0000-4000-8000-000000000000", amount: 5 } }),
      "RECIPIENT_WALLET_NOT_FOUND",
    ],
    [
      "paying one's own invoice from the same wallet",
      async () => ({ doc: PAY_INVOICE, field: "lnInvoicePaymentSend", input: { walletId: payer.btc.id, paymentRequest: (await invoiceFor(payer, 10)).paymentRequest } }),
      "CANNOT_PAY_SELF",
    ],
    [
      "a USD amount from a BTC wallet",
      async () => {
        const inv = (await gql(merchant.principal, CREATE_NO_AMOUNT_INVOICE, { input: { walletId: merchant.btc.id } })).lnNoAmountInvoiceCreate.invoice
        return { doc: PAY_NO_AMOUNT_USD, field: "lnNoAmountUsdInvoicePaymentSend", input: { walletId: payer.btc.id, paymentRequest: inv.paymentRequest, amount: 5 } }
      },
      "INVALID_WALLET_CURRENCY",
    ],
  ]

  it.each(cases)("refuses %s", async (_name, build, code) => {
    const { doc, input, field } = await build()
    const before = await LedgerEntryModel.countDocuments({})
    const payerEntries = await entriesOf(payer.btc.id)
    const r = await gql(payer.principal, doc, { input })
    expect(r[field].status).toBe("FAILURE")
    expect(r[field].errors).toEqual([expect.objectContaining({ code, message: expect.any(String) })])
    expect(await entriesOf(payer.btc.id)).toBe(payerEntries)
    expect(await entriesOf(merchant.btc.id)).toBe(0)
    expect(await LedgerEntryModel.countDocuments({})).toBeGreaterThanOrEqual(before) // other tests may run in parallel
    expect(await balanceOf(payer.principal, payer.btc.id)).toBe(1000)
  })

  it.each([
    ["zero", 0, "INVALID_AMOUNT"],
    ["negative", -1, "INVALID_AMOUNT"],
    ["fractional", 1.5, "INVALID_AMOUNT"],
  ])("refuses an invoice for a %s amount", async (_n, amount, code) => {
    const r = await gql(merchant.principal, CREATE_INVOICE, { input: { walletId: merchant.btc.id, amount } })
    expect(r.lnInvoiceCreate).toEqual({ invoice: null, errors: [expect.objectContaining({ code })] })
  })

  it("refuses a USD invoice on a BTC wallet", async () => {
    const r = await gql(merchant.principal, CREATE_USD_INVOICE, { input: { walletId: merchant.btc.id, amount: 100 } })
    expect(r.lnUsdInvoiceCreate.errors).toEqual([expect.objectContaining({ code: "INVALID_WALLET_CURRENCY" })])
  })
})

describe("wallet-level limit of an API token", () => {
  it("a token bound to the USD wallet sees only it and cannot use the BTC wallet", async () => {
    const a = await newAccount()
    await fund(a, 100)
    const token = apiTokenPrincipal(a, [a.usd.id])
    const me = await gql(token, `{ me { defaultAccount { wallets { id walletCurrency } transactions(first: 5) { edges { node { id } } } } } }`)
    expect(me.me.defaultAccount.wallets).toEqual([{ id: a.usd.id, walletCurrency: "USD" }])
    expect(me.me.defaultAccount.transactions.edges).toEqual([])
    const inv = await gql(token, CREATE_INVOICE, { input: { walletId: a.btc.id, amount: 10 } })
    expect(inv.lnInvoiceCreate.errors).toEqual([expect.objectContaining({ code: "WALLET_NOT_FOUND" })])
    const other = await newAccount()
    const pay = await gql(token, PAY_INTRALEDGER, { input: { walletId: a.btc.id, recipientWalletId: other.btc.id, amount: 10 } })
    expect(pay.intraLedgerPaymentSend.errors).toEqual([expect.objectContaining({ code: "WALLET_NOT_FOUND" })])
    expect(await balanceOf(a.principal, a.btc.id)).toBe(100)
  })

  it("an invoice of another account is not found by lnInvoicePaymentStatus", async () => {
    const a = await newAccount()
    const b = await newAccount()
    const inv = await invoiceFor(b, 10)
    const r = await gql(a.principal, `query($input: LnInvoicePaymentStatusInput!) { lnInvoicePaymentStatus(input: $input) { status errors { code } } }`, {
      input: { paymentRequest: inv.paymentRequest },
    })
    expect(r.lnInvoicePaymentStatus).toEqual({ status: null, errors: [{ code: "INVOICE_NOT_FOUND" }] })
  })
})
