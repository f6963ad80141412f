// The one place that says who may call each root field of the public schema.
//   public        anyone, no authentication
//   read          user sessions; API tokens with `read`
//   receive       user sessions; API tokens with `receive` or `write`
//   write         user sessions; API tokens with `write`
//   session-only  user sessions only; never an API token (token management,
//                 profile, login/identity)
// A field missing here is denied to everyone by shield's fallback rule, and
// test/unit/scope-map.test.ts fails until it is added.
import type { ApiTokenScope } from "@/domain/api-tokens"

/** `public`, `session-only`, or one of the domain's scopes (API_TOKEN_SCOPES). */
export type FieldAccess = "public" | ApiTokenScope | "session-only"

export const scopeMap = {
  Query: {
    globals: "public",
    // A payee lookup by username, public in Flash: a wallet id and currency, no balance.
    accountDefaultWallet: "public",
    // A fixed public price feed, as in Flash (no account data).
    realtimePrice: "public",
    me: "read",
    lnInvoicePaymentStatus: "read",
    apiTokens: "session-only",
    apiTokenAuditEvents: "session-only",
  },
  Mutation: {
    apiTokenCreate: "session-only",
    apiTokenRevoke: "session-only",
    apiTokenRotate: "session-only",
    apiTokenUpdate: "session-only",
    lnInvoiceCreate: "receive",
    lnUsdInvoiceCreate: "receive",
    lnNoAmountInvoiceCreate: "receive",
    lnInvoicePaymentSend: "write",
    lnNoAmountInvoicePaymentSend: "write",
    lnNoAmountUsdInvoicePaymentSend: "write",
    intraLedgerPaymentSend: "write",
    // Probing reveals nothing but a fee; Flash's clients call it right before paying.
    lnInvoiceFeeProbe: "write",
  },
  Subscription: {
    lnInvoicePaymentStatus: "read",
    myUpdates: "read",
  },
} satisfies Record<"Query" | "Mutation" | "Subscription", Record<string, FieldAccess>>
