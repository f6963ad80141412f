// The append-only ledger: balances derive from it, money moves only by
// appending entries. See ledger-schema.ts for the invariants.
import { randomUUID } from "node:crypto"
import type { WalletCurrency, WalletId } from "@/domain/accounts"
import { UnknownRepositoryError } from "@/domain/shared/errors"
import { InsufficientBalanceError } from "@/domain/wallets"
import { isDuplicateKeyError } from "./connection"
import { LedgerEntryModel } from "./ledger-schema"

export type LedgerEntryKind = "invoice" | "intraledger" | "external"
export type LedgerEntry = {
  id: string
  walletId: WalletId
  version: number
  amount: number
  balance: number
  entryKey: string
  transferId: string
  kind: LedgerEntryKind
  direction: "SEND" | "RECEIVE"
  currency: WalletCurrency
  memo?: string
  paymentHash?: string
  counterpartyWalletId?: WalletId
  creditAmount?: number
  createdAt: Date
}

export type AppendArgs = Omit<LedgerEntry, "id" | "version" | "balance" | "createdAt" | "direction">

type Doc = Record<string, unknown>
const toEntry = (d: Doc): LedgerEntry => ({
  id: d._id as string,
  walletId: d.walletId as WalletId,
  version: d.version as number,
  amount: d.amount as number,
  balance: d.balance as number,
  entryKey: d.entryKey as string,
  transferId: d.transferId as string,
  kind: d.kind as LedgerEntryKind,
  direction: d.direction as "SEND" | "RECEIVE",
  currency: d.currency as WalletCurrency,
  memo: (d.memo as string | undefined) ?? undefined,
  paymentHash: (d.paymentHash as string | undefined) ?? undefined,
  counterpartyWalletId: (d.counterpartyWalletId as WalletId | undefined) ?? undefined,
  creditAmount: (d.creditAmount as number | undefined) ?? undefined,
  createdAt: d.createdAt as Date,
})

const unknown = (e: unknown) => new UnknownRepositoryError(e instanceof Error ? e.message : String(e))
const MAX_ATTEMPTS = 500
const pause = (attempt: number) => new Promise((r) => setTimeout(r, Math.random() * Math.min(2 + attempt, 25)))

export const LedgerRepository = () => {
  const latest = async (walletId: WalletId): Promise<{ version: number; balance: number }> => {
    const d = await LedgerEntryModel.findOne({ walletId }).sort({ version: -1 }).lean<Doc>()
    return d ? { version: d.version as number, balance: d.balance as number } : { version: 0, balance: 0 }
  }

  const balanceOf = async (walletId: WalletId): Promise<number | UnknownRepositoryError> => {
    try {
      return (await latest(walletId)).balance
    } catch (e) {
      return unknown(e)
    }
  }

  const findByEntryKey = async (entryKey: string): Promise<LedgerEntry | undefined | UnknownRepositoryError> => {
    try {
      const d = await LedgerEntryModel.findOne({ entryKey }).lean<Doc>()
      return d ? toEntry(d) : undefined
    } catch (e) {
      return unknown(e)
    }
  }

  /**
   * Appends one entry: reads the wallet's latest version, refuses a debit the
   * balance cannot cover, inserts version+1. A duplicate key means either that
   * another writer took version+1 (re-read and retry) or that this very entry
   * (same entryKey) already exists — then it is returned, so steps are idempotent.
   */
  const append = async (args: AppendArgs): Promise<LedgerEntry | InsufficientBalanceError | UnknownRepositoryError> => {
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const head = await latest(args.walletId)
        const balance = head.balance + args.amount
        if (args.amount < 0 && balance < 0) {
          const already = await LedgerEntryModel.findOne({ entryKey: args.entryKey }).lean<Doc>()
          if (already) return toEntry(already)
          return new InsufficientBalanceError(`balance ${head.balance} is below ${-args.amount}`)
        }
        const doc = {
          _id: randomUUID(),
          ...args,
          direction: (args.amount < 0 ? "SEND" : "RECEIVE") as "SEND" | "RECEIVE",
          version: head.version + 1,
          balance,
          createdAt: new Date(),
        }
        try {
          await LedgerEntryModel.create(doc)
          return toEntry(doc as unknown as Doc)
        } catch (e) {
          if (!isDuplicateKeyError(e)) throw e
          const already = await LedgerEntryModel.findOne({ entryKey: args.entryKey }).lean<Doc>()
          if (already) return toEntry(already)
          await pause(attempt)
        }
      }
      return new UnknownRepositoryError(`ledger of wallet ${args.walletId} is too contended, try again`)
    } catch (e) {
      return unknown(e)
    }
  }

  /** Newest first; `after` is the id of the last entry of the previous page. */
  const listForWallets = async (
    walletIds: WalletId[],
    first: number,
    after: string | undefined,
  ): Promise<{ entries: LedgerEntry[]; hasNextPage: boolean } | UnknownRepositoryError> => {
    try {
      const filter: Record<string, unknown> = { walletId: { $in: walletIds } }
      if (after) {
        const cursor = await LedgerEntryModel.findOne({ _id: after, walletId: { $in: walletIds } }).lean<Doc>()
        if (!cursor) return { entries: [], hasNextPage: false }
        filter.$or = [
          { createdAt: { $lt: cursor.createdAt } },
          { createdAt: cursor.createdAt, _id: { $lt: after } },
        ]
      }
      const docs = await LedgerEntryModel.find(filter)
        .sort({ createdAt: -1, _id: -1 })
        .limit(first + 1)
        .lean<Doc[]>()
      return { entries: docs.slice(0, first).map(toEntry), hasNextPage: docs.length > first }
    } catch (e) {
      return unknown(e)
    }
  }

  /**
   * Debits of transfers whose credit is missing (a crash between the two
   * steps), among the debits written in [newerThan, olderThan).
   */
  const debitsWithoutCredit = async (window: { newerThan: Date; olderThan: Date }): Promise<LedgerEntry[] | UnknownRepositoryError> => {
    try {
      const debits = await LedgerEntryModel.find({
        direction: "SEND",
        createdAt: { $gte: window.newerThan, $lt: window.olderThan },
      })
        .sort({ createdAt: -1 })
        .limit(5000)
        .lean<Doc[]>()
      if (debits.length === 0) return []
      const credits = await LedgerEntryModel.find({ entryKey: { $in: debits.map((d) => `credit:${d.transferId as string}`) } })
        .select({ transferId: 1 })
        .lean<Doc[]>()
      const credited = new Set(credits.map((c) => c.transferId as string))
      return debits.filter((d) => !credited.has(d.transferId as string)).map(toEntry)
    } catch (e) {
      return unknown(e)
    }
  }

  /** Which of these entry keys exist (one query, whatever their number). */
  const existingEntryKeys = async (entryKeys: string[]): Promise<Set<string> | UnknownRepositoryError> => {
    try {
      if (entryKeys.length === 0) return new Set()
      const found = await LedgerEntryModel.find({ entryKey: { $in: entryKeys } })
        .select({ entryKey: 1 })
        .lean<Doc[]>()
      return new Set(found.map((d) => d.entryKey as string))
    } catch (e) {
      return unknown(e)
    }
  }

  return { balanceOf, findByEntryKey, existingEntryKeys, append, listForWallets, debitsWithoutCredit }
}
