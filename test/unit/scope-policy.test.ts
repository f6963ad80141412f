// Pins the scope map to the hand-written policy (test/support/scope-policy.ts):
// if `intraLedgerPaymentSend: "write"` became "receive", or a management field
// became reachable with a token, this fails.
import { impliedScopes } from "@/domain/api-tokens"
import { scopeMap } from "@/graphql/shield/scope-map"
import { SCOPE_POLICY } from "../support/scope-policy"

describe("the scope policy, pinned by hand", () => {
  for (const root of ["Query", "Mutation", "Subscription"] as const) {
    it(`gives every ${root} field the access the hand-written policy says`, () => {
      expect(scopeMap[root]).toEqual(SCOPE_POLICY[root])
    })
  }

  it("needs `write` for every money-moving mutation and no token at all for token management", () => {
    for (const f of ["lnInvoicePaymentSend", "lnNoAmountInvoicePaymentSend", "lnNoAmountUsdInvoicePaymentSend", "intraLedgerPaymentSend"] as const) {
      expect([f, scopeMap.Mutation[f]]).toEqual([f, "write"])
    }
    for (const f of ["apiTokenCreate", "apiTokenRevoke", "apiTokenRotate"] as const) expect([f, scopeMap.Mutation[f]]).toEqual([f, "session-only"])
    for (const f of ["apiTokens", "apiTokenAuditEvents"] as const) expect([f, scopeMap.Query[f]]).toEqual([f, "session-only"])
  })

  it("lets `write` imply `receive` and nothing else", () => {
    const granted = (scopes: Array<"read" | "receive" | "write">) => [...impliedScopes(scopes)].sort()
    expect(granted(["read"])).toEqual(["read"])
    expect(granted(["receive"])).toEqual(["receive"])
    expect(granted(["write"])).toEqual(["receive", "write"])
    expect(granted(["read", "write"])).toEqual(["read", "receive", "write"])
    expect(granted([])).toEqual([])
  })
})
