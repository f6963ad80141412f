// With 60 s access tokens, a client that keeps working for longer than that
// never sees an authentication error: it refreshes before expiry over HTTP, and
// its subscription reconnects with a fresh token when the server closes the
// socket at expiry (4440).
import { FlashClient } from "@/client/flash-client"
import { testStack } from "../harness/stack-state"
import { createApiToken, gql } from "../support/api-tokens"
import { devSession } from "../support/tokens"

const stack = testStack()

describe("token refresh", () => {
  it(
    "keeps a client working across several token lifetimes without one auth error",
    async () => {
      expect(stack.apiEnv.API_TOKEN_ACCESS_TOKEN_LIFESPAN_SECONDS).toBe("60")
      const merchant = await devSession()
      const created = await createApiToken(merchant.token, { scopes: ["read", "receive"] })
      const client = FlashClient.fromConnectionString(created.connectionString)
      const walletId = (await gql(merchant.token, "{ me { defaultAccount { defaultWalletId } } }")).body.data.me
        .defaultAccount.defaultWalletId as string

      const updates: unknown[] = []
      const subscriptionErrors: unknown[] = []
      const stop = client.subscribe("subscription { myUpdates { update { __typename } } }", {}, {
        next: (r) => updates.push(r),
        error: (e) => subscriptionErrors.push(e),
        complete: () => undefined,
      })

      // Work until the client has fetched a third token: the first one (which
      // the socket connected with) has expired by then, so the server closed
      // that socket (4440) and the client reconnected with a fresh token. The
      // event itself ends the loop, not a wall-clock budget.
      const errors: unknown[] = []
      const deadline = Date.now() + 240_000
      while (client.tokensFetched < 3 && Date.now() < deadline) {
        const r = await client.query("{ me { defaultAccount { id } } }").catch((e: unknown) => ({ errors: [String(e)] }))
        if (r.errors) errors.push(r.errors)
        await new Promise((resolve) => setTimeout(resolve, 1000))
      }
      expect(errors).toEqual([])
      expect(client.tokensFetched).toBeGreaterThanOrEqual(3)

      // The subscription outlived its first token: an event still arrives. A
      // payment made while the socket was reconnecting would be missed (events
      // are notifications, not a queue), so pay again until one arrives.
      for (let attempt = 0; attempt < 5 && updates.length === 0; attempt++) {
        const invoice = await gql(
          merchant.token,
          `mutation { lnInvoiceCreate(input: { walletId: ${JSON.stringify(walletId)}, amount: 10 }) { invoice { paymentRequest } } }`,
        )
        await fetch(`${stack.urls.api}/dev/lightning/pay`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ paymentRequest: invoice.body.data.lnInvoiceCreate.invoice.paymentRequest }),
        })
        const wait = Date.now() + 15_000
        while (updates.length === 0 && Date.now() < wait) await new Promise((r) => setTimeout(r, 100))
      }
      expect(subscriptionErrors).toEqual([])
      expect(updates.length).toBeGreaterThan(0)
      stop()
      await client.close()
    },
    360_000,
  )
})
