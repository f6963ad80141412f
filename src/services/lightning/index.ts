// The LightningService port: what the wallet needs from a Lightning node.
// Implemented here by the sandbox node (./sandbox.ts). Production adapters
// (IBEX's API, an LND node over gRPC) would implement the same port:
//   createInvoice   → IBEX `POST /invoice/add` / LND `AddInvoice` (hold the preimage server-side)
//   decodeInvoice   → local BOLT11 decoding (no network call)
//   payInvoice      → IBEX `POST /invoice/pay` / LND `SendPaymentV2`, only for invoices of other nodes
// Invoices of our own node never reach the node: they settle on the ledger.
import type { InvalidPaymentRequestError, LightningServiceError } from "@/domain/wallets"

export type LightningNetwork = "mainnet" | "testnet" | "signet" | "regtest"

export type CreatedInvoice = {
  paymentRequest: string
  paymentHash: string
  paymentSecret: string
  preimage: string
  expiresAt: Date
}

export type DecodedInvoice = {
  paymentRequest: string
  paymentHash: string
  paymentSecret: string | undefined
  /** undefined for a no-amount invoice */
  amountSats: number | undefined
  memo: string | undefined
  payeeNodeKey: string
  createdAt: Date
  expiresAt: Date
  network: LightningNetwork
}

export interface LightningService {
  network: LightningNetwork
  /** Public keys of our nodes (Flash's `globals.nodesIds`). */
  nodesIds(): string[]
  createInvoice(args: {
    amountSats: number | undefined
    memo: string | undefined
    expiresInSeconds: number
  }): Promise<CreatedInvoice | LightningServiceError>
  decodeInvoice(paymentRequest: string): DecodedInvoice | InvalidPaymentRequestError
  /** Whether the invoice was issued by one of our nodes (then it settles internally). */
  isLocal(invoice: DecodedInvoice): boolean
}
