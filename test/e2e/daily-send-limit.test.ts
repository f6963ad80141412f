// The daily send limit seen by a machine: a real API token created with
// dailySendLimit, exchanged at Hydra, paying over /graphql.
import { testStack } from "../harness/stack-state"
import { gql, merchantWithToken } from "../support/api-tokens"
import { devSession } from "../support/tokens"

const stack = testStack()

const btcWalletOf = async (bearer: string) => {
  const { body } = await gql(bearer, `{ me { defaultAccount { wallets { id walletCurrency balance } } } }`)
  return (body.data.me.defaultAccount.wallets as Array<{ id: string; walletCurrency: string; balance: number }>).find((w) => w.walletCurrency === "BTC")!
}

const fundBySandbox = async (session: string, walletId: string, amount: number) => {
  const { body } = await gql(session, `mutation($input: LnInvoiceCreateInput!) { lnInvoiceCreate(input: $input) { invoice { paymentRequest } } }`, {
    input: { walletId, amount },
  })
  const res = await fetch(`${stack.urls.api}/dev/lightning/pay`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ paymentRequest: body.data.lnInvoiceCreate.invoice.paymentRequest }),
  })
  expect(res.status).toBe(200)
}

const SEND = `mutation($input: IntraLedgerPaymentSendInput!) { intraLedgerPaymentSend(input: $input) { status errors { code } } }`

describe("dailySendLimit over HTTP", () => {
  it("a write token with dailySendLimit 500 sends 400, is refused 200 more, while the owner's session still sends", async () => {
    const { session, jwt } = await merchantWithToken(["read", "write"], { dailySendLimit: 500 })
    const wallet = await btcWalletOf(session.token)
    await fundBySandbox(session.token, wallet.id, 5000)
    const payee = await devSession()
    const payeeWallet = await btcWalletOf(payee.token)

    const first = await gql(jwt, SEND, { input: { walletId: wallet.id, recipientWalletId: payeeWallet.id, amount: 400 } })
    expect(first.body.data.intraLedgerPaymentSend).toEqual({ status: "SUCCESS", errors: [] })
    const second = await gql(jwt, SEND, { input: { walletId: wallet.id, recipientWalletId: payeeWallet.id, amount: 200 } })
    expect(second.body.data.intraLedgerPaymentSend).toEqual({ status: "FAILURE", errors: [{ code: "DAILY_SEND_LIMIT_EXCEEDED" }] })
    const bySession = await gql(session.token, SEND, { input: { walletId: wallet.id, recipientWalletId: payeeWallet.id, amount: 2000 } })
    expect(bySession.body.data.intraLedgerPaymentSend).toEqual({ status: "SUCCESS", errors: [] })
    expect((await btcWalletOf(session.token)).balance).toBe(5000 - 400 - 2000)
  })
})
