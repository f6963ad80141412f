// A token's budget as a machine and its merchant see it: a real API token
// created with a budget, exchanged at Hydra, paying over /graphql from both
// wallets; apiTokens shows what the period used, what is left and when it renews.
import { budgetPeriodAt } from "@/domain/api-tokens"
import { testStack } from "../harness/stack-state"
import { gql, merchantWithToken } from "../support/api-tokens"
import { devSession } from "../support/tokens"

const stack = testStack()

type Wallet = { id: string; walletCurrency: string; balance: number }
const walletsOf = async (bearer: string) => {
  const { body } = await gql(bearer, `{ me { defaultAccount { wallets { id walletCurrency balance } } } }`)
  const wallets = body.data.me.defaultAccount.wallets as Wallet[]
  return { btc: wallets.find((w) => w.walletCurrency === "BTC")!, usd: wallets.find((w) => w.walletCurrency === "USD")! }
}

const payBySandbox = async (paymentRequest: string) => {
  const res = await fetch(`${stack.urls.api}/dev/lightning/pay`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ paymentRequest }),
  })
  expect(res.status).toBe(200)
}

const fund = async (session: string, w: { btc: Wallet; usd: Wallet }, sats: number, cents: number) => {
  const btc = await gql(session, `mutation($input: LnInvoiceCreateInput!) { lnInvoiceCreate(input: $input) { invoice { paymentRequest } } }`, {
    input: { walletId: w.btc.id, amount: sats },
  })
  await payBySandbox(btc.body.data.lnInvoiceCreate.invoice.paymentRequest)
  const usd = await gql(session, `mutation($input: LnUsdInvoiceCreateInput!) { lnUsdInvoiceCreate(input: $input) { invoice { paymentRequest } } }`, {
    input: { walletId: w.usd.id, amount: cents },
  })
  await payBySandbox(usd.body.data.lnUsdInvoiceCreate.invoice.paymentRequest)
}

const SEND = `mutation($input: IntraLedgerPaymentSendInput!) { intraLedgerPaymentSend(input: $input) { status errors { code } } }`
const NO_AMOUNT_INVOICE = `mutation($input: LnNoAmountInvoiceCreateInput!) { lnNoAmountInvoiceCreate(input: $input) { invoice { paymentRequest } } }`
const SEND_CENTS = `mutation($input: LnNoAmountUsdInvoicePaymentInput!) { lnNoAmountUsdInvoicePaymentSend(input: $input) { status errors { code } } }`
const LIST = `{ apiTokens { id dailySendLimit budget { amount unit period maxPerPayment used remaining renewsAt } } }`

describe("a token's budget over HTTP", () => {
  it("a budget of 500 sats a day: 400 sats from BTC go, 20 cents from USD are refused, the owner's session still sends, and apiTokens shows 400 used, 100 left, renewing at 00:00 UTC", async () => {
    const { session, token, jwt } = await merchantWithToken(["read", "write"], { budget: { amount: 500, unit: "SATS", period: "DAILY" } })
    const wallets = await walletsOf(session.token)
    await fund(session.token, wallets, 5000, 500)
    const payee = await devSession()
    const payeeWallets = await walletsOf(payee.token)
    const invoice = async () =>
      (await gql(payee.token, NO_AMOUNT_INVOICE, { input: { walletId: payeeWallets.btc.id } })).body.data.lnNoAmountInvoiceCreate.invoice.paymentRequest

    const first = await gql(jwt, SEND, { input: { walletId: wallets.btc.id, recipientWalletId: payeeWallets.btc.id, amount: 400 } })
    expect(first.body.data.intraLedgerPaymentSend).toEqual({ status: "SUCCESS", errors: [] })
    const cents = await gql(jwt, SEND_CENTS, { input: { walletId: wallets.usd.id, paymentRequest: await invoice(), amount: 20 } })
    expect(cents.body.data.lnNoAmountUsdInvoicePaymentSend).toEqual({ status: "FAILURE", errors: [{ code: "BUDGET_EXCEEDED" }] })
    const bySession = await gql(session.token, SEND, { input: { walletId: wallets.btc.id, recipientWalletId: payeeWallets.btc.id, amount: 2000 } })
    expect(bySession.body.data.intraLedgerPaymentSend).toEqual({ status: "SUCCESS", errors: [] })
    const after = await walletsOf(session.token)
    expect(after.btc.balance).toBe(5000 - 400 - 2000)
    expect(after.usd.balance).toBe(500)

    const list = await gql(session.token, LIST)
    expect(list.body.errors).toBeUndefined()
    expect(list.body.data.apiTokens).toEqual([
      {
        id: token.id,
        dailySendLimit: 500,
        budget: {
          amount: 500,
          unit: "SATS",
          period: "DAILY",
          maxPerPayment: null,
          used: 400,
          remaining: 100,
          renewsAt: budgetPeriodAt("DAILY", new Date()).renewsAt!.getTime() / 1000,
        },
      },
    ])
  })

  it("a lifetime budget in cents with a maximum per payment: PAYMENT_OVER_MAX, then payments up to the budget from both wallets, and renewsAt null", async () => {
    const { session, jwt } = await merchantWithToken(["read", "write"], {
      budget: { amount: 100, unit: "USD_CENTS", period: "NEVER", maxPerPayment: 60 },
    })
    const wallets = await walletsOf(session.token)
    await fund(session.token, wallets, 5000, 500)
    const payee = await devSession()
    const payeeWallets = await walletsOf(payee.token)
    const invoice = async () =>
      (await gql(payee.token, NO_AMOUNT_INVOICE, { input: { walletId: payeeWallets.btc.id } })).body.data.lnNoAmountInvoiceCreate.invoice.paymentRequest

    const over = await gql(jwt, SEND_CENTS, { input: { walletId: wallets.usd.id, paymentRequest: await invoice(), amount: 61 } })
    expect(over.body.data.lnNoAmountUsdInvoicePaymentSend).toEqual({ status: "FAILURE", errors: [{ code: "PAYMENT_OVER_MAX" }] })
    const usd = await gql(jwt, SEND_CENTS, { input: { walletId: wallets.usd.id, paymentRequest: await invoice(), amount: 60 } })
    expect(usd.body.data.lnNoAmountUsdInvoicePaymentSend).toEqual({ status: "SUCCESS", errors: [] })
    // 400 sats are worth 40 cents: exactly what is left.
    const btc = await gql(jwt, SEND, { input: { walletId: wallets.btc.id, recipientWalletId: payeeWallets.btc.id, amount: 400 } })
    expect(btc.body.data.intraLedgerPaymentSend).toEqual({ status: "SUCCESS", errors: [] })
    const more = await gql(jwt, SEND, { input: { walletId: wallets.btc.id, recipientWalletId: payeeWallets.btc.id, amount: 1 } })
    expect(more.body.data.intraLedgerPaymentSend).toEqual({ status: "FAILURE", errors: [{ code: "BUDGET_EXCEEDED" }] })

    const list = await gql(session.token, LIST)
    expect(list.body.data.apiTokens[0]).toMatchObject({
      dailySendLimit: null,
      budget: { amount: 100, unit: "USD_CENTS", period: "NEVER", maxPerPayment: 60, used: 100, remaining: 0, renewsAt: null },
    })
  })
})
