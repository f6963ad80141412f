// The receive flow as the BTCPay plugin does it (its own GraphQL documents):
// create an invoice, subscribe to its status, the sandbox payer pays it over
// the running API's /dev/lightning/pay, the subscription sees PAID and the
// balance moves — once.
import Redis from "ioredis"
import { MAX_AMOUNT } from "@/domain/wallets"
import { LedgerEntryModel } from "@/services/mongoose/ledger-schema"
import { eventually } from "../support/eventually"
import {
  balanceOf,
  CREATE_INVOICE,
  CREATE_NO_AMOUNT_INVOICE,
  CREATE_USD_INVOICE,
  apiTokenPrincipal,
  entriesOf,
  gql,
  gqlSubscribe,
  newAccount,
  payExternally,
  setUpWallets,
  stack,
  STATUS_SUBSCRIPTION,
  tearDownWallets,
} from "./wallet-helpers"

let viaRedis = false
beforeAll(async () => {
  viaRedis = (await setUpWallets()).viaRedis
})
afterAll(tearDownWallets)

/** The payloads the API publishes on one pubsub topic, read straight from Redis. */
const redisTopic = async (topic: string) => {
  const client = new Redis(stack.apiEnv.REDIS_URL!)
  const seen: unknown[] = []
  client.on("message", (_channel: string, message: string) => seen.push(JSON.parse(message)))
  await client.subscribe(`${stack.apiEnv.REDIS_KEY_PREFIX ?? "flash:"}pubsub:${topic}`)
  return { seen, close: () => client.quit() }
}

describe("receiving with the plugin's documents", () => {
  it("creates a signed regtest invoice, sees PAID over the subscription when the sandbox payer pays, and the balance moves once", async () => {
    const merchant = await newAccount()
    const token = apiTokenPrincipal(merchant, undefined)
    const created = await gql(token, CREATE_INVOICE, { input: { walletId: merchant.btc.id, amount: 1234, memo: "order 42" } })
    expect(created.lnInvoiceCreate.errors).toEqual([])
    const invoice = created.lnInvoiceCreate.invoice
    expect(invoice.paymentRequest).toMatch(/^lnbcrt12340n1/)
    expect(invoice.satoshis).toBe(1234)
    expect(invoice.paymentHash).toMatch(/^[0-9a-f]{64}$/)

    const globals = await gql(token, `{ globals { network nodesIds } }`)
    expect(globals.globals.network).toBe("regtest")
    expect(globals.globals.nodesIds).toHaveLength(1)

    // The payer runs in the API process and this subscription in the test's:
    // only Redis can carry the event between them (the test stack has Redis).
    expect(viaRedis).toBe(true)
    const onRedis = await redisTopic(`invoice:${invoice.paymentHash}`)
    const stream = await gqlSubscribe(token, STATUS_SUBSCRIPTION, { input: { paymentRequest: invoice.paymentRequest } })
    const firstEvent = stream.next()
    const paid = await payExternally(invoice.paymentRequest)
    expect(paid).toEqual({ status: 200, body: { status: "PAID", paymentHash: invoice.paymentHash, preimage: expect.any(String) } })
    const event = await firstEvent
    expect(event.value.data.lnInvoicePaymentStatus).toEqual({ status: "PAID", errors: [] })
    expect((await stream.next()).done).toBe(true)
    // The event the subscription saw is the one the API published on Redis.
    await eventually("the PAID event is seen on Redis", () => onRedis.seen.length > 0)
    expect(onRedis.seen).toEqual([{ paymentHash: invoice.paymentHash, walletId: merchant.btc.id, status: "PAID" }])
    await onRedis.close()

    expect(await balanceOf(token, merchant.btc.id)).toBe(1234)
    const again = await payExternally(invoice.paymentRequest)
    expect(again.body.status).toBe("ALREADY_PAID")
    expect(await balanceOf(token, merchant.btc.id)).toBe(1234)
    expect(await entriesOf(merchant.btc.id)).toBe(1)

    const status = await gql(token, `query($input: LnInvoicePaymentStatusInput!) { lnInvoicePaymentStatus(input: $input) { status errors { code message } } }`, {
      input: { paymentRequest: invoice.paymentRequest },
    })
    expect(status.lnInvoicePaymentStatus).toEqual({ status: "PAID", errors: [] })

    const tx = await gql(token, `{ me { defaultAccount { transactions(first: 10) { edges { cursor node { id direction settlementAmount settlementCurrency status memo initiationVia { ... on InitiationViaLn { paymentHash } } } } pageInfo { hasNextPage endCursor } } } } }`)
    const edges = tx.me.defaultAccount.transactions.edges
    expect(edges).toHaveLength(1)
    expect(edges[0].node).toMatchObject({ direction: "RECEIVE", settlementAmount: 1234, settlementCurrency: "BTC", status: "SUCCESS", memo: "order 42", initiationVia: { paymentHash: invoice.paymentHash } })
  })

  it("a subscription to an invoice that is already paid answers PAID at once", async () => {
    const merchant = await newAccount()
    const d = await gql(merchant.principal, CREATE_INVOICE, { input: { walletId: merchant.btc.id, amount: 10 } })
    await payExternally(d.lnInvoiceCreate.invoice.paymentRequest)
    const stream = await gqlSubscribe(merchant.principal, STATUS_SUBSCRIPTION, { input: { paymentRequest: d.lnInvoiceCreate.invoice.paymentRequest } })
    expect((await stream.next()).value.data.lnInvoicePaymentStatus.status).toBe("PAID")
    expect((await stream.next()).done).toBe(true)
  })

  it("lnUsdInvoiceCreate asks for sats at the dev price and credits the USD wallet in cents", async () => {
    const merchant = await newAccount()
    const d = await gql(merchant.principal, CREATE_USD_INVOICE, { input: { walletId: merchant.usd.id, amount: 150, memo: "coffee" } })
    expect(d.lnUsdInvoiceCreate.errors).toEqual([])
    expect(d.lnUsdInvoiceCreate.invoice.satoshis).toBe(1500) // 1 BTC = 100,000 USD: 1 cent = 10 sats
    await payExternally(d.lnUsdInvoiceCreate.invoice.paymentRequest)
    expect(await balanceOf(merchant.principal, merchant.usd.id)).toBe(150)
    const price = await gql(merchant.principal, `{ realtimePrice(currency: "USD") { btcSatPrice { base offset } usdCentPrice { base offset } } }`)
    const { base, offset } = price.realtimePrice.btcSatPrice
    expect(base * 10 ** (6 - offset)).toBe(100_000) // what the plugin computes as BTC/USD
  })

  it("a no-amount invoice is paid with the payer's amount", async () => {
    const merchant = await newAccount()
    const d = await gql(merchant.principal, CREATE_NO_AMOUNT_INVOICE, { input: { walletId: merchant.btc.id } })
    expect(d.lnNoAmountInvoiceCreate.errors).toEqual([])
    const paid = await payExternally(d.lnNoAmountInvoiceCreate.invoice.paymentRequest, 777)
    expect(paid.body.status).toBe("PAID")
    expect(await balanceOf(merchant.principal, merchant.btc.id)).toBe(777)
  })

  it("myUpdates tells the merchant an invoice was paid", async () => {
    const merchant = await newAccount()
    const updates = await gqlSubscribe(merchant.principal, `subscription { myUpdates { errors { message } update { ... on LnUpdate { paymentHash status walletId } } } }`)
    const next = updates.next()
    const d = await gql(merchant.principal, CREATE_INVOICE, { input: { walletId: merchant.btc.id, amount: 21 } })
    await payExternally(d.lnInvoiceCreate.invoice.paymentRequest)
    const e = await next
    expect(e.value.data.myUpdates.update).toEqual({ paymentHash: d.lnInvoiceCreate.invoice.paymentHash, status: "PAID", walletId: merchant.btc.id })
    await updates.return(undefined)
  })
})

describe("the sandbox payer (/dev/lightning/pay) keeps the amount rules of real payments", () => {
  const noAmountInvoice = async () => {
    const merchant = await newAccount()
    const d = await gql(merchant.principal, CREATE_NO_AMOUNT_INVOICE, { input: { walletId: merchant.btc.id } })
    return { merchant, paymentRequest: d.lnNoAmountInvoiceCreate.invoice.paymentRequest as string }
  }

  it.each([
    ["above 21M BTC (1e17, also above 2^53)", 1e17],
    ["one sat above 21M BTC", MAX_AMOUNT + 1],
    ["fractional", 1.5],
    ["zero", 0],
    ["negative", -5],
    ["a string", "100"],
    ["a boolean", true],
  ])("refuses amountSats %s with INVALID_AMOUNT and credits nothing", async (_what, amountSats) => {
    const { merchant, paymentRequest } = await noAmountInvoice()
    const refused = await payExternally(paymentRequest, amountSats as number)
    expect(refused).toEqual({ status: 400, body: { error: { code: "INVALID_AMOUNT", message: expect.any(String) } } })
    expect(await entriesOf(merchant.btc.id)).toBe(0)
    // The invoice is not held by the refused attempt: a valid amount pays it.
    expect((await payExternally(paymentRequest, 10)).body.status).toBe("PAID")
    expect(await balanceOf(merchant.principal, merchant.btc.id)).toBe(10)
  })

  it("accepts 21M BTC, and refuses a credit that would raise the wallet above it", async () => {
    const { merchant, paymentRequest } = await noAmountInvoice()
    expect((await payExternally(paymentRequest, MAX_AMOUNT)).body.status).toBe("PAID")
    const second = await noAmountInvoiceOf(merchant)
    const refused = await payExternally(second, 1)
    expect(refused).toEqual({ status: 400, body: { error: { code: "INVALID_AMOUNT", message: expect.any(String) } } })
    expect(await balanceOf(merchant.principal, merchant.btc.id)).toBe(MAX_AMOUNT)
    expect(await LedgerEntryModel.countDocuments({ walletId: merchant.btc.id })).toBe(1)
  })

  it("refuses amountSats for an invoice that carries its amount (INVOICE_HAS_AMOUNT)", async () => {
    const merchant = await newAccount()
    const d = await gql(merchant.principal, CREATE_INVOICE, { input: { walletId: merchant.btc.id, amount: 50 } })
    const refused = await payExternally(d.lnInvoiceCreate.invoice.paymentRequest, 5_000_000)
    expect(refused).toEqual({ status: 400, body: { error: { code: "INVOICE_HAS_AMOUNT", message: expect.any(String) } } })
    expect(await entriesOf(merchant.btc.id)).toBe(0)
  })

  it("refuses a no-amount invoice without amountSats (INVOICE_HAS_NO_AMOUNT)", async () => {
    const { merchant, paymentRequest } = await noAmountInvoice()
    const refused = await payExternally(paymentRequest)
    expect(refused).toEqual({ status: 400, body: { error: { code: "INVOICE_HAS_NO_AMOUNT", message: expect.any(String) } } })
    expect(await entriesOf(merchant.btc.id)).toBe(0)
  })
})

const noAmountInvoiceOf = async (merchant: Awaited<ReturnType<typeof newAccount>>) =>
  (await gql(merchant.principal, CREATE_NO_AMOUNT_INVOICE, { input: { walletId: merchant.btc.id } })).lnNoAmountInvoiceCreate.invoice.paymentRequest as string

