// The sandbox Lightning node: real BOLT11 invoices (regtest, `lnbcrt`) signed
// by a node key kept in the data dir, so invoices stay verifiable across
// restarts. It has no channels: invoices of this node settle on the ledger,
// and `POST /dev/lightning/pay` plays a payer from outside.
import { createHash, randomBytes } from "node:crypto"
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import bolt11 from "bolt11"
import { InvalidPaymentRequestError, LightningServiceError } from "@/domain/wallets"
import type { CreatedInvoice, DecodedInvoice, LightningService } from "./index"

const REGTEST = { bech32: "bcrt", pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] }
const MAX_PAYMENT_REQUEST_LENGTH = 4096

/** Reads the node's private key from the data dir, creating it (mode 0600) on first use. */
export const loadOrCreateNodeKey = (dataDir: string): string => {
  const file = join(dataDir, "lightning-node.key")
  if (existsSync(file)) {
    const hex = readFileSync(file, "utf8").trim()
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${file} does not hold a 32-byte hex key`)
    return hex
  }
  mkdirSync(dataDir, { recursive: true })
  const hex = randomBytes(32).toString("hex")
  writeFileSync(file, `${hex}\n`, { mode: 0o600, flag: "wx" })
  chmodSync(file, 0o600)
  return hex
}

export const SandboxLightningService = (opts: { nodePrivateKey: string }): LightningService => {
  // Sign a throwaway invoice once to learn our public key from the library itself.
  const probe = bolt11.sign(
    bolt11.encode({ network: REGTEST, tags: [{ tagName: "payment_hash", data: "00".repeat(32) }, { tagName: "description", data: "" }] }),
    opts.nodePrivateKey,
  )
  const nodePubkey = bolt11.decode(probe.paymentRequest!, REGTEST).payeeNodeKey!

  const createInvoice = async (args: {
    amountSats: number | undefined
    memo: string | undefined
    expiresInSeconds: number
  }): Promise<CreatedInvoice | LightningServiceError> => {
    try {
      const preimage = randomBytes(32)
      const paymentHash = createHash("sha256").update(preimage).digest("hex")
      const paymentSecret = randomBytes(32).toString("hex")
      const timestamp = Math.floor(Date.now() / 1000)
      const encoded = bolt11.encode({
        network: REGTEST,
        ...(args.amountSats !== undefined ? { satoshis: args.amountSats } : {}),
        timestamp,
        tags: [
          { tagName: "payment_hash", data: paymentHash },
          { tagName: "payment_secret", data: paymentSecret },
          { tagName: "description", data: args.memo ?? "" },
          { tagName: "expire_time", data: args.expiresInSeconds },
          { tagName: "min_final_cltv_expiry", data: 40 },
        ],
      })
      const signed = bolt11.sign(encoded, opts.nodePrivateKey)
      return {
        paymentRequest: signed.paymentRequest!,
        paymentHash,
        paymentSecret,
        preimage: preimage.toString("hex"),
        expiresAt: new Date((timestamp + args.expiresInSeconds) * 1000),
      }
    } catch (e) {
      return new LightningServiceError(e instanceof Error ? e.message : String(e))
    }
  }

  const decodeInvoice = (raw: string): DecodedInvoice | InvalidPaymentRequestError => {
    if (typeof raw !== "string" || raw.length === 0 || raw.length > MAX_PAYMENT_REQUEST_LENGTH) {
      return new InvalidPaymentRequestError("paymentRequest is not a BOLT11 invoice")
    }
    const paymentRequest = raw.trim().replace(/^lightning:/i, "").toLowerCase()
    if (!paymentRequest.startsWith("lnbcrt")) {
      return new InvalidPaymentRequestError("paymentRequest is not a regtest BOLT11 invoice")
    }
    try {
      const d = bolt11.decode(paymentRequest, REGTEST)
      const hash = d.tagsObject.payment_hash
      if (!d.complete || !d.payeeNodeKey || !hash || !d.timestamp) {
        return new InvalidPaymentRequestError("paymentRequest is incomplete")
      }
      const msats = d.millisatoshis ? Number(d.millisatoshis) : undefined
      if (msats !== undefined && (!Number.isSafeInteger(msats) || msats % 1000 !== 0)) {
        return new InvalidPaymentRequestError("invoice amounts must be whole satoshis")
      }
      return {
        paymentRequest,
        paymentHash: hash,
        paymentSecret: d.tagsObject.payment_secret,
        amountSats: msats === undefined || msats === 0 ? undefined : msats / 1000,
        memo: d.tagsObject.description,
        payeeNodeKey: d.payeeNodeKey,
        createdAt: new Date(d.timestamp * 1000),
        expiresAt: new Date((d.timeExpireDate ?? d.timestamp + 3600) * 1000),
        network: "regtest",
      }
    } catch {
      return new InvalidPaymentRequestError("paymentRequest is not a valid BOLT11 invoice")
    }
  }

  return {
    network: "regtest",
    nodesIds: () => [nodePubkey],
    createInvoice,
    decodeInvoice,
    isLocal: (invoice) => invoice.payeeNodeKey === nodePubkey,
  }
}
