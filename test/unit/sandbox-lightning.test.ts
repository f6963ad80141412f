import { createHash, randomBytes } from "node:crypto"
import { InvalidPaymentRequestError } from "@/domain/wallets"
import { SandboxLightningService } from "@/services/lightning/sandbox"

const node = SandboxLightningService({ nodePrivateKey: randomBytes(32).toString("hex") })

describe("sandbox Lightning node", () => {
  it("issues a signed regtest invoice whose hash commits to the preimage", async () => {
    const inv = await node.createInvoice({ amountSats: 2500, memo: "coffee", expiresInSeconds: 600 })
    if (inv instanceof Error) throw inv
    expect(inv.paymentRequest).toMatch(/^lnbcrt25u1/)
    expect(createHash("sha256").update(Buffer.from(inv.preimage, "hex")).digest("hex")).toBe(inv.paymentHash)
    const d = node.decodeInvoice(inv.paymentRequest)
    if (d instanceof Error) throw d
    expect(d).toMatchObject({ amountSats: 2500, memo: "coffee", paymentHash: inv.paymentHash, network: "regtest" })
    expect(d.expiresAt.getTime() - d.createdAt.getTime()).toBe(600_000)
    expect(node.isLocal(d)).toBe(true)
    expect(node.nodesIds()).toEqual([d.payeeNodeKey])
  })

  it("issues no-amount invoices", async () => {
    const inv = await node.createInvoice({ amountSats: undefined, memo: undefined, expiresInSeconds: 60 })
    if (inv instanceof Error) throw inv
    const d = node.decodeInvoice(inv.paymentRequest)
    expect(d instanceof Error ? d : d.amountSats).toBeUndefined()
  })

  it("knows another node's invoice is not its own", async () => {
    const other = SandboxLightningService({ nodePrivateKey: randomBytes(32).toString("hex") })
    const inv = await other.createInvoice({ amountSats: 1, memo: undefined, expiresInSeconds: 60 })
    if (inv instanceof Error) throw inv
    const d = node.decodeInvoice(inv.paymentRequest)
    if (d instanceof Error) throw d
    expect(node.isLocal(d)).toBe(false)
  })

  it.each(["", "hello", "lnbc1garbage", "lnbcrt1qqqqqq", "x".repeat(5000)])("refuses %p as a payment request", (raw) => {
    expect(node.decodeInvoice(raw)).toBeInstanceOf(InvalidPaymentRequestError)
  })

  it("refuses a tampered invoice", async () => {
    const inv = await node.createInvoice({ amountSats: 1000, memo: "a", expiresInSeconds: 60 })
    if (inv instanceof Error) throw inv
    const i = inv.paymentRequest.length - 10
    const flipped = inv.paymentRequest.slice(0, i) + (inv.paymentRequest[i] === "q" ? "p" : "q") + inv.paymentRequest.slice(i + 1)
    const d = node.decodeInvoice(flipped)
    expect(d instanceof Error || d.payeeNodeKey !== node.nodesIds()[0]).toBe(true)
  })
})
