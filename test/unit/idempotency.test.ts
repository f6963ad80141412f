import { idempotencyScopeId, IdempotentRequest, requestFingerprint } from "@/domain/payments/idempotency"

const base: IdempotentRequest = { operation: "intraLedgerPaymentSend", senderWalletId: "w-1", recipient: "w-2", amount: 100, memo: "rent" }

describe("idempotency key scope and request fingerprint", () => {
  it("names one record per account and key: another account's identical key is another record", () => {
    expect(idempotencyScopeId("acct-a", "order-1")).toBe(idempotencyScopeId("acct-a", "order-1"))
    expect(idempotencyScopeId("acct-a", "order-1")).not.toBe(idempotencyScopeId("acct-b", "order-1"))
    expect(idempotencyScopeId("acct-a", "order-1")).not.toBe(idempotencyScopeId("acct-a", "order-2"))
    // The encoding keeps ("a", "b\nc") and ("a\nb", "c") apart.
    expect(idempotencyScopeId("a", "b\nc")).not.toBe(idempotencyScopeId("a\nb", "c"))
    expect(idempotencyScopeId("acct-a", "order-1")).not.toContain("order-1")
  })

  it("is equal for equal requests and differs when any parameter the caller chose differs", () => {
    expect(requestFingerprint({ ...base })).toBe(requestFingerprint(base))
    const changes: Partial<IdempotentRequest>[] = [
      { operation: "lnInvoicePaymentSend" },
      { senderWalletId: "w-3" },
      { recipient: "w-4" },
      { amount: 101 },
      { amount: undefined },
      { memo: "rent, June" },
      { memo: undefined },
      { memo: "" },
    ]
    for (const change of changes) expect(requestFingerprint({ ...base, ...change })).not.toBe(requestFingerprint(base))
    expect(requestFingerprint({ ...base, memo: "" })).not.toBe(requestFingerprint({ ...base, memo: undefined }))
  })
})
