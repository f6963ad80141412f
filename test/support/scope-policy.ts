// The scope policy, written down by hand a second time on purpose: the tests
// compare src/graphql/shield/scope-map.ts (and what the running API does)
// against this, never against the map itself. Changing who may call a field is
// two edits, the map and this table, and a reviewer sees both.
//
//   public        anyone
//   read          user sessions; API tokens with `read`
//   receive       user sessions; API tokens with `receive` or `write`
//   write         user sessions; API tokens with `write`
//   session-only  user sessions only: no API token, whatever its scopes
export const SCOPE_POLICY = {
  Query: {
    globals: "public",
    accountDefaultWallet: "public",
    realtimePrice: "public",
    me: "read",
    lnInvoicePaymentStatus: "read",
    // token management
    apiTokens: "session-only",
    apiTokenAuditEvents: "session-only",
  },
  Mutation: {
    // token management
    apiTokenCreate: "session-only",
    apiTokenRevoke: "session-only",
    apiTokenRotate: "session-only",
    apiTokenUpdate: "session-only",
    // receiving
    lnInvoiceCreate: "receive",
    lnUsdInvoiceCreate: "receive",
    lnNoAmountInvoiceCreate: "receive",
    // money-moving
    lnInvoicePaymentSend: "write",
    lnNoAmountInvoicePaymentSend: "write",
    lnNoAmountUsdInvoicePaymentSend: "write",
    intraLedgerPaymentSend: "write",
    lnInvoiceFeeProbe: "write",
  },
  Subscription: {
    lnInvoicePaymentStatus: "read",
    myUpdates: "read",
  },
} as const

export type Access = "public" | "read" | "receive" | "write" | "session-only"
export type PolicyCaller = "anonymous" | "user session" | "API token [read]" | "API token [receive]" | "API token [write]"

/** What each caller gets for a field of each access, by hand ("allowed" or the shield's code). */
export const OUTCOME: Record<Access, Record<PolicyCaller, string>> = {
  public: {
    anonymous: "allowed",
    "user session": "allowed",
    "API token [read]": "allowed",
    "API token [receive]": "allowed",
    "API token [write]": "allowed",
  },
  read: {
    anonymous: "UNAUTHENTICATED",
    "user session": "allowed",
    "API token [read]": "allowed",
    "API token [receive]": "INSUFFICIENT_SCOPE",
    "API token [write]": "INSUFFICIENT_SCOPE",
  },
  receive: {
    anonymous: "UNAUTHENTICATED",
    "user session": "allowed",
    "API token [read]": "INSUFFICIENT_SCOPE",
    "API token [receive]": "allowed",
    "API token [write]": "allowed",
  },
  write: {
    anonymous: "UNAUTHENTICATED",
    "user session": "allowed",
    "API token [read]": "INSUFFICIENT_SCOPE",
    "API token [receive]": "INSUFFICIENT_SCOPE",
    "API token [write]": "allowed",
  },
  "session-only": {
    anonymous: "UNAUTHENTICATED",
    "user session": "allowed",
    "API token [read]": "API_TOKEN_NOT_ALLOWED",
    "API token [receive]": "API_TOKEN_NOT_ALLOWED",
    "API token [write]": "API_TOKEN_NOT_ALLOWED",
  },
}

export const policyOf = (root: keyof typeof SCOPE_POLICY, field: string): Access | undefined =>
  (SCOPE_POLICY[root] as Record<string, Access>)[field]
