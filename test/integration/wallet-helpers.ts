// Shared setup of the wallet tests: the schema executed in-process against the
// stack's FerretDB, over wallet services composed here as the API composes its
// own (composeWalletServices), with the API's own sandbox node key (so the
// running API's /dev/lightning/pay recognises our invoices), the API's Redis
// pubsub (so an event published by the API process reaches a subscription
// here) and the API's wallet heads in Redis (a payment made here moves the
// balance the API reads, as a payment on another replica would).
import { graphql, parse, subscribe, ExecutionResult } from "graphql"
import mongoose from "mongoose"
import type { Account, Wallet, WalletId } from "@/domain/accounts"
import type { Principal } from "@/domain/auth/principal"
import { contextFor } from "@/graphql/context"
import { buildPublicSchema } from "@/graphql/public/schema"
import { createLedgerHeads, LedgerHeads } from "@/services/ledger-heads"
import { createLogger } from "@/services/logger"
import { loadOrCreateNodeKey, SandboxLightningService } from "@/services/lightning/sandbox"
import { AccountsRepository } from "@/services/mongoose/accounts"
import { connectMongo } from "@/services/mongoose/connection"
import { LedgerEntryModel } from "@/services/mongoose/ledger-schema"
import { InProcessPubSub, PubSub, RedisPubSub } from "@/services/pubsub"
import { composeWalletServices } from "@/servers/wallet-services"
import { testStack } from "../harness/stack-state"
import { randomPhone } from "../support/phone"

export const stack = testStack()
export const logger = createLogger("silent")
export const schema = buildPublicSchema()
let pubsub: PubSub | undefined
let heads: LedgerHeads | undefined
let services: ReturnType<typeof composeWalletServices> | undefined

/** The wallet services of this file's set-up (its ledger, payments, node). */
export const wallet = () => {
  if (!services) throw new Error("setUpWallets first")
  return services
}

export const setUpWallets = async () => {
  await connectMongo(stack.urls.mongodb)
  const redisUrl = stack.apiEnv.REDIS_URL
  pubsub = redisUrl
    ? RedisPubSub({ url: redisUrl, keyPrefix: stack.apiEnv.REDIS_KEY_PREFIX ?? "flash:", logger })
    : InProcessPubSub()
  heads = await createLedgerHeads({
    redis: redisUrl ? { url: redisUrl, keyPrefix: stack.apiEnv.REDIS_KEY_PREFIX ?? "flash:" } : undefined,
    ttlMs: 5000,
  })
  services = composeWalletServices({ lightning: SandboxLightningService({ nodePrivateKey: loadOrCreateNodeKey(stack.dataDir) }), pubsub, heads })
  return { viaRedis: Boolean(redisUrl) }
}

export const tearDownWallets = async () => {
  await pubsub?.close()
  await heads?.close()
  services = undefined
  await mongoose.disconnect()
}

export type TestAccount = { account: Account; btc: Wallet; usd: Wallet; principal: Principal }

export const newAccount = async (): Promise<TestAccount> => {
  const phone = randomPhone()
  const r = await AccountsRepository().findOrCreateByPhone(phone as never)
  if (r instanceof Error) throw r
  const wallets = await AccountsRepository().listWallets(r.account.id)
  if (wallets instanceof Error) throw wallets
  return {
    account: r.account,
    btc: wallets.find((w) => w.currency === "BTC")!,
    usd: wallets.find((w) => w.currency === "USD")!,
    principal: { kind: "user", userId: r.user.id, domainAccount: r.account },
  }
}

export const apiTokenPrincipal = (a: TestAccount, walletIds: WalletId[] | undefined): Principal => ({
  kind: "apiToken",
  domainAccount: a.account,
  apiTokenId: "test-token",
  clientId: "test-client",
  apiTokenScopes: ["read", "receive", "write"],
  apiTokenWalletIds: walletIds,
  rateLimitPerMinute: undefined,
  jwtId: "jti",
  expiresAt: new Date(Date.now() + 60_000),
})

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Data = any

export const gql = async (principal: Principal, source: string, variables?: Record<string, unknown>): Promise<Data> => {
  const r = await graphql({ schema, source, variableValues: variables, contextValue: contextFor(principal, "127.0.0.1", logger, { wallet: wallet() }) })
  if (r.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors)}`)
  return r.data
}

export const gqlSubscribe = async (principal: Principal, source: string, variables?: Record<string, unknown>) => {
  const r = await subscribe({ schema, document: parse(source), variableValues: variables, contextValue: contextFor(principal, "127.0.0.1", logger, { wallet: wallet() }) })
  if (!(Symbol.asyncIterator in r)) throw new Error(`subscribe failed: ${JSON.stringify((r as ExecutionResult).errors)}`)
  return r as AsyncGenerator<ExecutionResult<Data>>
}

export const balanceOf = async (principal: Principal, walletId: string): Promise<number> => {
  const d = await gql(principal, `{ me { defaultAccount { wallets { id balance } } } }`)
  return (d.me.defaultAccount.wallets as Array<{ id: string; balance: number }>).find((w) => w.id === walletId)!.balance
}

export const entriesOf = (walletId: string) => LedgerEntryModel.countDocuments({ walletId })

export const payExternally = async (paymentRequest: string, amountSats?: number) => {
  const res = await fetch(`${stack.urls.api}/dev/lightning/pay`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ paymentRequest, amountSats }),
  })
  return { status: res.status, body: (await res.json()) as Data }
}

export const CREATE_INVOICE = `mutation lnInvoiceCreate($input: LnInvoiceCreateInput!) {
  lnInvoiceCreate(input: $input) { invoice { paymentHash paymentRequest paymentSecret satoshis } errors { message code } } }`
export const CREATE_USD_INVOICE = `mutation lnUsdInvoiceCreate($input: LnUsdInvoiceCreateInput!) {
  lnUsdInvoiceCreate(input: $input) { invoice { paymentHash paymentRequest paymentSecret satoshis } errors { message code } } }`
export const CREATE_NO_AMOUNT_INVOICE = `mutation lnNoAmountInvoiceCreate($input: LnNoAmountInvoiceCreateInput!) {
  lnNoAmountInvoiceCreate(input: $input) { invoice { paymentHash paymentRequest paymentSecret } errors { message code } } }`
export const PAY_INVOICE = `mutation lnInvoicePaymentSend($input: LnInvoicePaymentInput!) {
  lnInvoicePaymentSend(input: $input) { status errors { message code } } }`
export const PAY_NO_AMOUNT = `mutation lnNoAmountInvoicePaymentSend($input: LnNoAmountInvoicePaymentInput!) {
  lnNoAmountInvoicePaymentSend(input: $input) { status errors { message code } } }`
export const PAY_NO_AMOUNT_USD = `mutation lnNoAmountUsdInvoicePaymentSend($input: LnNoAmountUsdInvoicePaymentInput!) {
  lnNoAmountUsdInvoicePaymentSend(input: $input) { status errors { message code } } }`
export const PAY_INTRALEDGER = `mutation intraLedgerPaymentSend($input: IntraLedgerPaymentSendInput!) {
  intraLedgerPaymentSend(input: $input) { status errors { message code } } }`
export const STATUS_SUBSCRIPTION = `subscription InvoicePaymentStatus($input: LnInvoicePaymentStatusInput!) {
  lnInvoicePaymentStatus(input: $input) { status errors { message } } }`

/** Creates a BTC invoice for `a` and has the sandbox payer pay it: funds a wallet. */
export const fund = async (a: TestAccount, sats: number) => {
  const d = await gql(a.principal, CREATE_INVOICE, { input: { walletId: a.btc.id, amount: sats } })
  const paid = await payExternally(d.lnInvoiceCreate.invoice.paymentRequest)
  if (paid.status !== 200) throw new Error(`funding failed: ${JSON.stringify(paid.body)}`)
}
