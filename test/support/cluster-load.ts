// The cluster rehearsal's load (test/e2e/cluster-rehearsal.test.ts), as BTCPay
// stores put it on the API: a program of its own, forked by the test with the
// stack's CA in NODE_EXTRA_CA_CERTS (how a third party trusts a private CA), so
// every request goes over TLS through nginx with the reference client, as is.
//
// Each merchant has one API token (read + write) and one FlashClient, keeps a
// `myUpdates` subscription open, and loops: reads its wallets (and checks the
// answer is its own), creates an invoice, watches it over the plugin's status
// subscription and has another merchant pay it, sends an intraledger payment,
// or drops its access token to fetch a fresh one. Payments carry an
// idempotencyKey, so the client's retry is safe; invoice creation is retried
// by choice (an extra unpaid invoice is harmless).
//
// Protocol (IPC): the parent sends {type: "start", plan}; this program answers
// {type: "ready"} once every subscription is connected, runs until {type:
// "stop"}, waits for the invoice watchers, and answers {type: "result", result}.
// Nothing secret is written anywhere: the connection strings come over IPC.
import { randomUUID } from "node:crypto"
import { FlashClient, RetryEvent } from "@/client/flash-client"
import { btcpayPluginDocuments } from "./btcpay-plugin-documents"

export type LoadMerchant = { accountId: string; btcWalletId: string; walletIds: string[]; connectionString: string }
export type LoadPlan = { merchants: LoadMerchant[]; thinkMs: [number, number]; watchTimeoutMs: number }

export type OpKind = "read" | "invoice" | "invoicePay" | "intraledger" | "refresh"
export type OpRecord = { kind: OpKind; merchant: number; start: number; end: number; ok: boolean; error?: string }
export type PaymentRecord = { kind: "invoice" | "intraledger"; from: string; to: string; amount: number; at: number }
export type LoadResult = {
  ops: OpRecord[]
  /** Payments the clients saw succeed (status SUCCESS). */
  payments: PaymentRecord[]
  retries: Array<RetryEvent & { merchant: number }>
  crossAccount: Array<{ merchant: number; got: string }>
  /** Invoice status subscriptions: how many were opened, ended PAID, or never did. */
  watchers: { opened: number; paid: number; unresolved: number; errors: string[] }
  /** When each merchant's myUpdates delivered an event. */
  updates: number[][]
  tokensFetched: number
}

const doc = (source: string) => {
  const d = btcpayPluginDocuments.find((x) => x.source === source)
  if (!d) throw new Error(`no plugin document ${source}`)
  return d.query
}
const INVOICE_CREATE = doc("Services/FlashSimpleInvoiceService.cs:71")
const INVOICE_STATUS = doc("Services/FlashWebSocketService.cs:357")
const INVOICE_PAY = doc("Services/FlashPaymentService.cs:696")
const WALLETS = "query { me { defaultAccount { id wallets { id walletCurrency balance } } } }"
const INTRALEDGER = `mutation Send($input: IntraLedgerPaymentSendInput!) { intraLedgerPaymentSend(input: $input) { status errors { code message } } }`
const MY_UPDATES = "subscription { myUpdates { update { __typename } } }"

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!
const between = ([lo, hi]: [number, number]) => lo + Math.random() * (hi - lo)
const errorText = (r: { errors?: Array<{ message: string; code?: string }> } | undefined) =>
  r?.errors?.length ? r.errors.map((e) => e.code ?? e.message).join(",") : undefined

const run = async (plan: LoadPlan, stopped: Promise<void>, onReady: () => void): Promise<LoadResult> => {
  const result: LoadResult = {
    ops: [],
    payments: [],
    retries: [],
    crossAccount: [],
    watchers: { opened: 0, paid: 0, unresolved: 0, errors: [] },
    updates: plan.merchants.map(() => []),
    tokensFetched: 0,
  }
  let stopping = false
  void stopped.then(() => (stopping = true))
  const clients = plan.merchants.map(
    (m, i) => FlashClient.fromConnectionString(m.connectionString, { onRetry: (e) => result.retries.push({ ...e, merchant: i }) }),
  )

  // One myUpdates subscription per merchant, open for the whole run.
  const connected = plan.merchants.map((_, i) =>
    new Promise<void>((resolve) => {
      clients[i]!.subscribe(MY_UPDATES, {}, {
        next: () => {
          result.updates[i]!.push(Date.now())
          resolve()
        },
        error: (e) => result.watchers.errors.push(`myUpdates ${i}: ${String((e as Error)?.message ?? JSON.stringify(e))}`),
        complete: () => undefined,
      })
    }),
  )
  // The subscriptions are open once each merchant received its first event: a payment to each.
  for (let i = 0; i < clients.length; i++) {
    const to = plan.merchants[(i + 1) % clients.length]!
    const r = await clients[i]!.mutate<{ intraLedgerPaymentSend: { status: string } }>(INTRALEDGER, {
      input: { walletId: plan.merchants[i]!.btcWalletId, recipientWalletId: to.btcWalletId, amount: 1, idempotencyKey: randomUUID() },
    })
    if (r.data?.intraLedgerPaymentSend.status !== "SUCCESS") throw new Error(`warm-up payment failed: ${JSON.stringify(r)}`)
    result.payments.push({ kind: "intraledger", from: plan.merchants[i]!.btcWalletId, to: to.btcWalletId, amount: 1, at: Date.now() })
  }
  // Every merchant sent one and received one; wait until each socket delivered an event.
  await Promise.race([Promise.all(connected), sleep(15_000).then(() => Promise.reject(new Error("myUpdates did not deliver within 15 s")))])
  onReady()

  const watchers: Array<Promise<void>> = []
  const timed = async (kind: OpKind, merchant: number, f: () => Promise<string | undefined>) => {
    const start = Date.now()
    let error: string | undefined
    try {
      error = await f()
    } catch (e) {
      error = e instanceof Error ? e.message : String(e)
    }
    result.ops.push({ kind, merchant, start, end: Date.now(), ok: error === undefined, ...(error ? { error } : {}) })
    return error === undefined
  }

  const readWallets = (i: number) =>
    timed("read", i, async () => {
      const r = await clients[i]!.query<{ me: { defaultAccount: { id: string; wallets: Array<{ id: string }> } } }>(WALLETS)
      const account = r.data?.me?.defaultAccount
      if (!account) return errorText(r) ?? "no account in the answer"
      const own = plan.merchants[i]!
      const ids = account.wallets.map((w) => w.id).sort()
      if (account.id !== own.accountId || JSON.stringify(ids) !== JSON.stringify([...own.walletIds].sort())) {
        result.crossAccount.push({ merchant: i, got: account.id })
        return "cross-account answer"
      }
      return undefined
    })

  const invoiceFlow = async (i: number) => {
    const payee = plan.merchants[i]!
    const payerIndex = pick(plan.merchants.map((_, j) => j).filter((j) => j !== i))
    const payer = plan.merchants[payerIndex]!
    const amount = 1 + Math.floor(Math.random() * 100)
    let paymentRequest: string | undefined
    const created = await timed("invoice", i, async () => {
      const r = await clients[i]!.mutate<{ lnInvoiceCreate: { invoice: { paymentRequest: string } | null; errors: unknown[] } }>(
        INVOICE_CREATE,
        { input: { walletId: payee.btcWalletId, amount, memo: "cluster rehearsal" } },
        { retry: true },
      )
      paymentRequest = r.data?.lnInvoiceCreate?.invoice?.paymentRequest
      return paymentRequest ? undefined : (errorText(r) ?? JSON.stringify(r.data))
    })
    if (!created || !paymentRequest) return
    // The store watches its invoice, as the plugin does, until PAID.
    result.watchers.opened++
    let onPaid!: () => void
    const paid = new Promise<void>((resolve) => (onPaid = resolve))
    const stop = clients[i]!.subscribe<{ lnInvoicePaymentStatus: { status: string } }>(INVOICE_STATUS, { input: { paymentRequest } }, {
      next: (r) => {
        if (r.data?.lnInvoicePaymentStatus?.status === "PAID") onPaid()
      },
      error: (e) => result.watchers.errors.push(`status ${i}: ${String((e as Error)?.message ?? JSON.stringify(e))}`),
      complete: () => undefined,
    })
    watchers.push(
      Promise.race([paid.then(() => "paid" as const), sleep(plan.watchTimeoutMs).then(() => "timeout" as const)]).then((outcome) => {
        stop()
        if (outcome === "paid") result.watchers.paid++
        else result.watchers.unresolved++
      }),
    )
    const pr = paymentRequest
    await timed("invoicePay", payerIndex, async () => {
      const r = await clients[payerIndex]!.mutate<{ lnInvoicePaymentSend: { status: string; errors: Array<{ code?: string; message: string }> } }>(
        INVOICE_PAY,
        { input: { walletId: payer.btcWalletId, paymentRequest: pr, idempotencyKey: randomUUID() } },
      )
      const status = r.data?.lnInvoicePaymentSend?.status
      if (status !== "SUCCESS") return `${status ?? "no status"} ${errorText(r.data?.lnInvoicePaymentSend) ?? errorText(r) ?? ""}`
      result.payments.push({ kind: "invoice", from: payer.btcWalletId, to: payee.btcWalletId, amount, at: Date.now() })
      return undefined
    })
  }

  const intraledger = (i: number) => {
    const from = plan.merchants[i]!
    const to = pick(plan.merchants.filter((_, j) => j !== i))
    const amount = 1 + Math.floor(Math.random() * 100)
    return timed("intraledger", i, async () => {
      const r = await clients[i]!.mutate<{ intraLedgerPaymentSend: { status: string; errors: Array<{ code?: string; message: string }> } }>(INTRALEDGER, {
        input: { walletId: from.btcWalletId, recipientWalletId: to.btcWalletId, amount, idempotencyKey: randomUUID() },
      })
      const status = r.data?.intraLedgerPaymentSend?.status
      if (status !== "SUCCESS") return `${status ?? "no status"} ${errorText(r.data?.intraLedgerPaymentSend) ?? errorText(r) ?? ""}`
      result.payments.push({ kind: "intraledger", from: from.btcWalletId, to: to.btcWalletId, amount, at: Date.now() })
      return undefined
    })
  }

  const refresh = (i: number) =>
    timed("refresh", i, async () => {
      clients[i]!.invalidate()
      await clients[i]!.accessToken()
      return undefined
    })

  const merchantLoop = async (i: number) => {
    while (!stopping) {
      const roll = Math.random()
      if (roll < 0.35) await readWallets(i)
      else if (roll < 0.6) await invoiceFlow(i)
      else if (roll < 0.85) await intraledger(i)
      else await refresh(i)
      await sleep(between(plan.thinkMs))
    }
  }
  await Promise.all(plan.merchants.map((_, i) => merchantLoop(i)))
  await Promise.all(watchers)
  result.tokensFetched = clients.reduce((n, c) => n + c.tokensFetched, 0)
  await Promise.all(clients.map((c) => c.close()))
  return result
}

let stop: () => void = () => undefined
const stopped = new Promise<void>((r) => (stop = r))
process.on("message", (m: { type: string; plan?: LoadPlan }) => {
  if (m.type === "stop") stop()
  if (m.type === "start" && m.plan) {
    run(m.plan, stopped, () => process.send?.({ type: "ready" }))
      .then((result) => process.send?.({ type: "result", result }, () => process.exit(0)))
      .catch((e: unknown) => process.send?.({ type: "failed", error: e instanceof Error ? e.stack : String(e) }, () => process.exit(1)))
  }
})
// The parent gone (test killed): stop at once.
process.on("disconnect", () => process.exit(2))
