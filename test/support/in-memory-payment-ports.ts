// In-memory payment ports (src/app/payments/ports.ts) for unit tests of the
// money path: no FerretDB, no Redis. Each store keeps the rules its real
// counterpart guarantees, as far as the use cases rely on them:
// - ledger: append-only; versions per wallet gapless from 1; one entry per
//   entryKey (an append of an existing key answers that entry, so a retried
//   step never applies twice); the append rule of the domain (nextLedgerHead:
//   no debit below zero, no credit above maxBalance);
// - invoices: one settlement claim per invoice, released only by its transfer;
// - spend log: one reservation and one release per transfer, the budget
//   checked against the period's total (the domain's checkBudget);
// - idempotency keys: one record per key, freed only by its transfer.
// Every entry is stamped by `clock`, which a test may move (what a crash
// minutes ago looks like to the repair job). `outage` makes a store answer
// UnknownRepositoryError (a storage error of unknown outcome).
import { randomUUID } from "node:crypto"
import type { AccountId, Wallet, WalletCurrency, WalletId } from "@/domain/accounts"
import { ApiTokenBudget, budgetPeriodAt, checkBudget, PaymentValue } from "@/domain/api-tokens"
import type { SentAmount } from "@/domain/audit"
import { CouldNotFindError, UnknownRepositoryError } from "@/domain/shared/errors"
import { InvalidPaymentRequestError, InvoiceNotFoundError } from "@/domain/wallets"
import type { WalletInvoice } from "@/domain/wallets/invoice"
import { LedgerEntry, LedgerHead, nextLedgerHead } from "@/domain/wallets/ledger"
import { createPayments } from "@/app/payments"
import type { PaymentPorts } from "@/app/payments/ports"
import type { DecodedInvoice } from "@/services/lightning"
import type { AppendArgs } from "@/services/mongoose/ledger"
import type { InvoiceSettlement } from "@/services/mongoose/invoices"
import type { IdempotencyRecord } from "@/services/mongoose/idempotency-keys"
import type { SpendReservation, StoredReservation } from "@/services/mongoose/api-token-spends"

/** A clock the stores stamp their entries with; real time unless set. */
export const testClock = () => {
  let offsetMs = 0
  return {
    now: () => new Date(Date.now() + offsetMs),
    /** From now on, entries are stamped `ms` earlier (negative) or later than real time. */
    shift: (ms: number) => {
      offsetMs = ms
    },
  }
}
export type TestClock = ReturnType<typeof testClock>

const down = () => new UnknownRepositoryError("store unavailable (test outage)")

export const inMemoryLedger = (clock: TestClock) => {
  const entries: LedgerEntry[] = []
  const byKey = new Map<string, LedgerEntry>()
  const heads = new Map<WalletId, LedgerHead>()
  const state = {
    /** Every call answers UnknownRepositoryError. */
    outage: false,
    /** Appends this predicate picks answer UnknownRepositoryError and write nothing (a crash before the write). */
    failAppend: undefined as ((args: AppendArgs) => boolean) | undefined,
  }

  const headOf = (walletId: WalletId): LedgerHead => heads.get(walletId) ?? { version: 0, balance: 0 }

  const ledger: PaymentPorts["ledger"] = {
    append: async (args, opts = {}) => {
      if (state.outage || state.failAppend?.(args)) return down()
      const already = byKey.get(args.entryKey)
      if (already) return already
      const next = nextLedgerHead(headOf(args.walletId), args.amount, opts)
      if (next instanceof Error) return next
      const entry: LedgerEntry = {
        ...args,
        id: `${args.walletId}:${String(next.version).padStart(12, "0")}`,
        version: next.version,
        balance: next.balance,
        direction: args.amount < 0 ? "SEND" : "RECEIVE",
        createdAt: clock.now(),
      }
      entries.push(entry)
      byKey.set(entry.entryKey, entry)
      heads.set(args.walletId, next)
      return entry
    },
    findByEntryKey: async (entryKey) => (state.outage ? down() : byKey.get(entryKey)),
    debitsWithoutCredit: async ({ newerThan, olderThan }) => {
      if (state.outage) return down()
      return entries
        .filter((e) => e.direction === "SEND" && e.createdAt >= newerThan && e.createdAt < olderThan)
        .filter((e) => !byKey.has(`credit:${e.transferId}`))
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
    },
    transfersDebitedSince: async (from, transferIds) => {
      if (state.outage) return down()
      const debited = new Set(entries.filter((e) => e.entryKey.startsWith("debit:") && e.createdAt >= from).map((e) => e.transferId))
      for (const t of transferIds) if (byKey.has(`debit:${t}`)) debited.add(t)
      return debited
    },
  }

  return {
    ...ledger,
    state,
    balanceOf: (walletId: WalletId) => headOf(walletId).balance,
    entriesOf: (walletId: WalletId) => entries.filter((e) => e.walletId === walletId),
    all: () => [...entries],
    /** A credit written straight into the ledger (money to spend in a test). */
    fund: async (walletId: WalletId, currency: WalletCurrency, amount: number) => {
      const transferId = `fund-${randomUUID()}`
      const r = await ledger.append({ walletId, currency, amount, entryKey: `credit:${transferId}`, transferId, kind: "external" })
      if (r instanceof Error) throw r
      return r
    },
  }
}

export const inMemoryWallets = () => {
  const wallets = new Map<WalletId, Wallet>()
  const accounts: PaymentPorts["accounts"] = {
    findWalletById: async (id) => wallets.get(id) ?? new CouldNotFindError(`wallet ${id}`),
  }
  return {
    ...accounts,
    /** A new wallet of a new account (or of `accountId`). */
    add: (currency: WalletCurrency, accountId: AccountId = randomUUID() as AccountId): Wallet => {
      const w: Wallet = { id: randomUUID() as WalletId, accountId, currency, createdAt: new Date() }
      wallets.set(w.id, w)
      return w
    },
  }
}

export const inMemoryInvoices = (clock: TestClock) => {
  const invoices = new Map<string, WalletInvoice>()
  const settlements = new Map<string, InvoiceSettlement>()
  const port: PaymentPorts["invoices"] = {
    findByPaymentHash: async (paymentHash) => invoices.get(paymentHash) ?? new InvoiceNotFoundError("no invoice with this payment hash on our node"),
    claimSettlement: async (s) => {
      const held = settlements.get(s.paymentHash)
      if (held) return held
      settlements.set(s.paymentHash, { ...s, createdAt: clock.now(), settledAt: undefined })
      return true
    },
    releaseSettlement: async (paymentHash, transferId) => {
      if (settlements.get(paymentHash)?.transferId === transferId) settlements.delete(paymentHash)
      return true
    },
    markSettled: async (paymentHash) => {
      const s = settlements.get(paymentHash)
      if (s) s.settledAt = clock.now()
      return true
    },
    markPaid: async (paymentHash) => {
      const i = invoices.get(paymentHash)
      if (i && !i.paidAt) i.paidAt = clock.now()
      return true
    },
    unsettledClaims: async ({ newerThan, olderThan }) =>
      [...settlements.values()].filter((s) => !s.settledAt && s.createdAt >= newerThan && s.createdAt < olderThan),
  }
  return {
    ...port,
    /** An invoice of our node for `wallet`; its payment request is `lnsb-<paymentHash>`. */
    issue: (wallet: Wallet, over: Partial<Pick<WalletInvoice, "amountSats" | "receiveAmount" | "memo" | "expiresAt">> = {}): WalletInvoice => {
      const paymentHash = randomUUID().replace(/-/g, "")
      const invoice: WalletInvoice = {
        paymentHash,
        paymentRequest: `lnsb-${paymentHash}`,
        walletId: wallet.id,
        accountId: wallet.accountId,
        currency: wallet.currency,
        amountSats: undefined,
        receiveAmount: undefined,
        memo: undefined,
        paymentSecret: "secret",
        preimage: "preimage",
        expiresAt: new Date(Date.now() + 3600_000),
        createdAt: clock.now(),
        paidAt: undefined,
        ...over,
      }
      invoices.set(paymentHash, invoice)
      return invoice
    },
    invoice: (paymentHash: string) => invoices.get(paymentHash),
    claimOf: (paymentHash: string) => settlements.get(paymentHash),
  }
}

/** Decodes the payment requests of inMemoryInvoices (`lnsb-<paymentHash>`); all of them are local. */
export const inMemoryLightning = (): PaymentPorts["lightning"] => ({
  decodeInvoice: (paymentRequest) => {
    if (typeof paymentRequest !== "string" || !paymentRequest.startsWith("lnsb-")) return new InvalidPaymentRequestError("not a payment request")
    const decoded: DecodedInvoice = {
      paymentRequest,
      paymentHash: paymentRequest.slice("lnsb-".length),
      paymentSecret: undefined,
      amountSats: undefined,
      memo: undefined,
      payeeNodeKey: "our-node",
      createdAt: new Date(),
      expiresAt: new Date(Date.now() + 3600_000),
      network: "regtest",
    }
    return decoded
  },
  isLocal: () => true,
})

type SpendEntry = { spendKey: string; entryKey: string; tokenId: string; walletId: string; transferId: string; value: PaymentValue; createdAt: Date }

export const inMemorySpends = (clock: TestClock) => {
  const log: SpendEntry[] = []
  const state = { outage: false }
  const has = (entryKey: string) => log.some((e) => e.entryKey === entryKey)
  const total = (spendKey: string, unit: ApiTokenBudget["unit"]) =>
    log.filter((e) => e.spendKey === spendKey).reduce((sum, e) => sum + (unit === "SATS" ? e.value.sats : e.value.cents), 0)

  const at = (now: () => Date): ReturnType<PaymentPorts["spends"]> => ({
    reserve: async (r: SpendReservation, budget: ApiTokenBudget) => {
      if (state.outage) return down()
      const first = log.find((e) => e.entryKey === `reserve:${r.transferId}`)
      if (first) return { tokenId: first.tokenId, walletId: first.walletId, transferId: first.transferId, value: first.value, spendKey: first.spendKey }
      const period = budgetPeriodAt(budget.period, now())
      const spendKey = `${r.tokenId}:${period.key}`
      const verdict = checkBudget(budget, total(spendKey, budget.unit), r.value, period.renewsAt)
      if (verdict instanceof Error) return verdict
      log.push({ ...r, spendKey, entryKey: `reserve:${r.transferId}`, createdAt: clock.now() })
      return { ...r, spendKey }
    },
    release: async (r: StoredReservation) => {
      if (state.outage) return down()
      if (!has(`release:${r.transferId}`)) {
        log.push({ ...r, value: { sats: -r.value.sats, cents: -r.value.cents }, entryKey: `release:${r.transferId}`, createdAt: clock.now() })
      }
      return true
    },
    unreleasedReservations: async ({ newerThan, olderThan }) => {
      if (state.outage) return down()
      return log
        .filter((e) => e.entryKey.startsWith("reserve:") && e.createdAt >= newerThan && e.createdAt < olderThan)
        .filter((e) => !has(`release:${e.transferId}`))
        .map((e) => ({ tokenId: e.tokenId, walletId: e.walletId, transferId: e.transferId, value: e.value, spendKey: e.spendKey }))
    },
    isReleased: async (transferId) => (state.outage ? down() : has(`release:${transferId}`)),
  })

  return {
    state,
    spends: (c: { now?: () => Date } = {}) => at(c.now ?? clock.now),
    /** What the token's reservations minus releases count in the period at `when`. */
    used: (tokenId: string, budget: ApiTokenBudget, when = clock.now()) => total(`${tokenId}:${budgetPeriodAt(budget.period, when).key}`, budget.unit),
    entries: () => [...log],
  }
}

export const inMemoryIdempotencyKeys = (clock: TestClock) => {
  const records = new Map<string, IdempotencyRecord>()
  const port: PaymentPorts["idempotencyKeys"] = {
    claim: async (r) => {
      const existing = records.get(r.id)
      if (existing) return { created: false, record: existing }
      const record = { ...r, createdAt: clock.now() }
      records.set(r.id, record)
      return { created: true, record }
    },
    release: async (id, transferId) => {
      if (records.get(id)?.transferId === transferId) records.delete(id)
      return true
    },
  }
  return { ...port, size: () => records.size }
}

/** Every port in memory, and the handles a test inspects them by. */
export const inMemoryPaymentPorts = () => {
  const clock = testClock()
  const ledger = inMemoryLedger(clock)
  const wallets = inMemoryWallets()
  const invoices = inMemoryInvoices(clock)
  const spends = inMemorySpends(clock)
  const idempotencyKeys = inMemoryIdempotencyKeys(clock)
  const published: Array<{ topic: string; event: unknown }> = []
  const sent: Array<{ tokenId: string; accountId: string; sent: SentAmount }> = []
  const ports: PaymentPorts = {
    ledger,
    accounts: wallets,
    invoices,
    spends: spends.spends,
    idempotencyKeys,
    lightning: inMemoryLightning(),
    publish: async (topic, event) => void published.push({ topic, event }),
    recordSent: (tokenId, accountId, s) => void sent.push({ tokenId, accountId, sent: s }),
  }
  return { ports, clock, ledger, wallets, invoices, spends, idempotencyKeys, published, sent }
}

/** Two BTC wallets over in-memory ports, alice's holding `funded` sats, and the payment use cases over those ports. */
export const aliceAndBob = async (funded = 10_000) => {
  const world = inMemoryPaymentPorts()
  const alice = world.wallets.add("BTC")
  const bob = world.wallets.add("BTC")
  await world.ledger.fund(alice.id, "BTC", funded)
  return { ...world, alice, bob, payments: createPayments(world.ports) }
}
