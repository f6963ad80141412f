// The BTCPay Flash plugin as released (v1.5.2), played byte for byte where it
// matters: a merchant creates a static-key token and pastes its
// pluginConnectionString; the "plugin" parses it with its own rules, sends
// `Authorization: Bearer <token>` on every HTTP request, derives its WebSocket
// URL as it does, offers both subprotocols, sends the Bearer on the handshake
// and in connection_init, creates an invoice, watches lnInvoicePaymentStatus to
// PAID, pays an invoice and reads its transactions. Every GraphQL document it
// sends is the plugin's own (test/support/btcpay-plugin-documents.ts).
import { randomUUID } from "node:crypto"
import WebSocket from "ws"
import { testStack } from "../harness/stack-state"
import { btcpayPluginDocuments } from "../support/btcpay-plugin-documents"
import { createApiToken, gql } from "../support/api-tokens"
import { devSession } from "../support/tokens"

const stack = testStack()

const doc = (source: string) => {
  const d = btcpayPluginDocuments.find((x) => x.source === source)
  if (!d) throw new Error(`no plugin document from ${source}`)
  return d.query
}

/** FlashLightningConnectionStringHandler.Parse: `;`-separated pairs split at the first `=`, trimmed; type, server and token required. */
const parsePluginConnectionString = (connectionString: string) => {
  const parameters = new Map<string, string>()
  for (const param of connectionString.split(";")) {
    if (!param) continue
    const i = param.indexOf("=")
    if (i < 0) throw new Error("Invalid connection string parameter format")
    parameters.set(param.slice(0, i).trim(), param.slice(i + 1).trim())
  }
  if (parameters.get("type") !== "flash") throw new Error("Missing or invalid 'type' parameter")
  const server = parameters.get("server")
  if (!server) throw new Error("Missing 'server' parameter")
  const token = parameters.get("token")
  if (!token) throw new Error("Missing 'token' parameter")
  return { endpoint: new URL(server), bearerToken: token }
}

/** FlashLightningClient: api.x → ws.x, localhost or an IP as is, any other host → ws.<host>; ws/wss; path /graphql. */
const pluginWebSocketUrl = (endpoint: URL) => {
  const host = endpoint.hostname
  const isIp = /^[0-9.]+$/.test(host) || host.includes(":")
  const wsHost = host.toLowerCase().startsWith("api.") ? `ws${host.slice(3)}` : host.toLowerCase().includes("localhost") || isIp ? host : `ws.${host}`
  const url = new URL(endpoint.toString())
  url.hostname = wsHost
  url.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:"
  url.pathname = "/graphql"
  return url.toString()
}

/** The plugin's HTTP client (GraphQL.Client over HttpClient with a default Bearer header). */
const pluginHttp = (endpoint: URL, bearerToken: string) => async (query: string, variables?: Record<string, unknown>, operationName?: string) => {
  const res = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-8", authorization: `Bearer ${bearerToken}` },
    body: JSON.stringify({ query, variables, operationName }),
  })
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: unknown[] } }
}

type WsMessage = { id?: string; type: string; payload?: unknown }

/** FlashWebSocketService.ConnectInternalAsync + SendConnectionInitMessage + SubscribeToInvoiceUpdatesAsync. */
const pluginSocket = async (url: string, bearerToken: string) => {
  const socket = new WebSocket(url, ["graphql-ws", "graphql-transport-ws"], { headers: { Authorization: `Bearer ${bearerToken}` } })
  const messages: WsMessage[] = []
  const waiters: Array<() => void> = []
  socket.on("message", (data) => {
    messages.push(JSON.parse(String(data)) as WsMessage)
    for (const w of waiters.splice(0)) w()
  })
  const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve())
    socket.once("error", reject)
  })
  const until = async (match: (m: WsMessage) => boolean) => {
    for (;;) {
      const found = messages.find(match)
      if (found) return found
      const more = new Promise<void>((r) => waiters.push(r))
      const code = await Promise.race([more.then(() => undefined), closed])
      if (typeof code === "number") throw new Error(`socket closed (${code}) while waiting`)
    }
  }
  const payload = { Authorization: `Bearer ${bearerToken}` }
  const init = socket.protocol === "graphql-transport-ws" ? { type: "connection_init", payload } : { id: randomUUID(), type: "connection_init", payload }
  socket.send(JSON.stringify(init))
  await until((m) => m.type === "connection_ack")
  return { socket, protocol: socket.protocol, until, send: (m: WsMessage) => socket.send(JSON.stringify(m)), close: () => socket.close() }
}

const devPay = async (paymentRequest: string) => {
  const res = await fetch(`${stack.urls.api}/dev/lightning/pay`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ paymentRequest }),
  })
  expect(res.status).toBe(200)
}

describe("the BTCPay Flash plugin 1.5.2 as released, with a static-key token", () => {
  const open: Array<{ close: () => void }> = []
  afterAll(() => open.forEach((s) => s.close()))

  it("connects with the pasted token= string, creates an invoice, sees it PAID over graphql-ws, pays an invoice and reads its transactions", async () => {
    const merchant = await devSession()
    const created = await createApiToken(merchant.token, { name: "BTCPay store", scopes: ["read", "write"], staticKey: true })
    const { endpoint, bearerToken } = parsePluginConnectionString(created.pluginConnectionString!)
    expect(endpoint.toString()).toBe(stack.urls.graphql)
    const http = pluginHttp(endpoint, bearerToken)

    // FlashConnectionValidator: the account; FlashGraphQLService: the wallets.
    const validated = await http(doc("Services/FlashConnectionValidator.cs:130"))
    expect(validated).toMatchObject({ status: 200, body: { data: { me: { defaultAccount: { id: merchant.accountId } } } } })
    const wallets = (await http(doc("Services/FlashGraphQLService.cs:222"))).body.data.me.defaultAccount.wallets as Array<{
      id: string
      walletCurrency: string
      balance: number
    }>
    const usd = wallets.find((w) => w.walletCurrency === "USD")!

    // WebSocket: the URL the plugin derives, both subprotocols offered; the server picks graphql-transport-ws.
    const ws = await pluginSocket(pluginWebSocketUrl(endpoint), bearerToken)
    open.push(ws)
    expect(pluginWebSocketUrl(endpoint)).toBe(stack.urls.graphqlWs)
    expect(ws.protocol).toBe("graphql-transport-ws")

    // FlashInvoiceService: a USD invoice of 125 cents, then the subscription for its status.
    const invoice = await http(doc("Services/FlashInvoiceService.cs:604"), { input: { amount: 125, memo: "BTCPay order 42", walletId: usd.id } }, "lnUsdInvoiceCreate")
    expect(invoice.body.data.lnUsdInvoiceCreate.errors).toEqual([])
    const paymentRequest = invoice.body.data.lnUsdInvoiceCreate.invoice.paymentRequest as string
    ws.send({ id: "payment_1", type: "subscribe", payload: { query: doc("Services/FlashWebSocketService.cs:357"), variables: { input: { paymentRequest } } } })
    // Paid while the subscription is being set up or after: PAID either way (it listens, then reads).
    await devPay(paymentRequest)
    const paid = await ws.until(
      (m) => m.id === "payment_1" && m.type === "next" && (m.payload as { data?: { lnInvoicePaymentStatus?: { status: string } } }).data?.lnInvoicePaymentStatus?.status === "PAID",
    )
    expect(paid.payload).toEqual({ data: { lnInvoicePaymentStatus: { status: "PAID", errors: [] } } })

    // FlashPaymentService: pay another merchant's invoice from the USD wallet.
    const payee = await devSession()
    const payeeWallet = (await gql(payee.token, "{ me { defaultAccount { defaultWalletId } } }")).body.data.me.defaultAccount.defaultWalletId as string
    const toPay = (
      await gql(payee.token, `mutation { lnInvoiceCreate(input: { walletId: ${JSON.stringify(payeeWallet)}, amount: 100, memo: "supplier" }) { invoice { paymentRequest } } }`)
    ).body.data.lnInvoiceCreate.invoice.paymentRequest as string
    const sent = await http(doc("Services/FlashPaymentService.cs:696"), { input: { paymentRequest: toPay, walletId: usd.id } })
    expect(sent.body).toEqual({ data: { lnInvoicePaymentSend: { status: "SUCCESS", errors: [] } } })

    // FlashGraphQLService.GetTransactionHistoryAsync(20): the receipt and the payment.
    const history = await http(doc("Services/FlashGraphQLService.cs:496 (limit 20)"))
    expect(history.status).toBe(200)
    const usdTxs = (history.body.data.me.defaultAccount.wallets as Array<{ id: string; transactions: { edges: Array<{ node: { direction: string; memo: string | null; status: string } }> } }>)
      .find((w) => w.id === usd.id)!
      .transactions.edges.map((e) => e.node)
    expect(usdTxs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ direction: "RECEIVE", memo: "BTCPay order 42", status: "SUCCESS" }),
        expect.objectContaining({ direction: "SEND", status: "SUCCESS" }),
      ]),
    )
  })

  it("is refused with API_TOKEN_OAUTH2_ONLY when the merchant pasted the secret of an OAuth2-only token", async () => {
    const merchant = await devSession()
    const created = await createApiToken(merchant.token, { scopes: ["read"] })
    const http = pluginHttp(new URL(stack.urls.graphql), created.token)
    const r = await http(doc("Services/FlashConnectionValidator.cs:130"))
    expect(r.status).toBe(401)
    expect(r.body.errors).toEqual([expect.objectContaining({ extensions: { code: "API_TOKEN_OAUTH2_ONLY" } })])
  })
})
