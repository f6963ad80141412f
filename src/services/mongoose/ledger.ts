// The append-only ledger: balances derive from it, money moves only by
// appending entries. See ledger-schema.ts for the invariants.
import { LRUCache } from "lru-cache"
import type { WalletCurrency, WalletId } from "@/domain/accounts"
import type { LedgerEntry, LedgerEntryKind } from "@/domain/wallets/ledger"
import { nextLedgerHead } from "@/domain/wallets/ledger"
import { UnknownRepositoryError } from "@/domain/shared/errors"
import { InsufficientBalanceError, InvalidAmountError } from "@/domain/wallets"
import type { LedgerHeads } from "@/services/ledger-heads"
import { isDuplicateKeyError } from "./connection"
import { LedgerEntryModel } from "./ledger-schema"
import { bucketOf, findInBuckets, REPAIR_BUCKET_MS } from "./time-buckets"

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

export class LegacyLedgerError extends Error {
  constructor() {
    super(
      "ledger_entries holds entries written by an earlier version of this API (ids that do not name wallet and version); " +
        "balances would read wrong. For a dev stack, delete the data dir (.data) to start over; nothing was changed.",
    )
    this.name = "LegacyLedgerError"
  }
}

const unknown = (e: unknown) => new UnknownRepositoryError(e instanceof Error ? e.message : String(e))
const MAX_ATTEMPTS = 500
const pause = (attempt: number) => new Promise((r) => setTimeout(r, Math.random() * Math.min(2 + attempt, 25)))

/**
 * An entry's `_id` is its wallet and version, `<walletId>:<version, 12 digits>`.
 * Versions of a wallet are gapless from 1 (each append takes head + 1 under the
 * unique id), so "is there a version v?" answers yes for every v up to the head
 * and no after it, and each such question is a lookup by `_id` — the one filter
 * FerretDB's SQLite backend hands to SQL (any other filter decodes the whole
 * collection: 140 ms per balance with 1,000 entries in the ledger, measured).
 */
export const ledgerEntryId = (walletId: WalletId, version: number) => `${walletId}:${String(version).padStart(12, "0")}`

type Head = { version: number; balance: number }
const LEDGER_FORMAT_MARK = "ledger-entry-ids:wallet-version"

/**
 * Entries written before ids named wallet and version (2026-11-28) would be
 * invisible to the head search, and balances would read low: refuse to serve
 * over such a ledger rather than answer wrong balances. The check reads the
 * whole collection, so once it passed it is recorded (flash_meta) and skipped
 * on later starts.
 */
export const checkLedgerFormat = async (): Promise<true | LegacyLedgerError | UnknownRepositoryError> => {
  try {
    const meta = LedgerEntryModel.db.collection<{ _id: string; checkedAt: Date }>("flash_meta")
    if (await meta.findOne({ _id: LEDGER_FORMAT_MARK })) return true
    const legacy = await LedgerEntryModel.findOne({ _id: { $not: /^.+:\d{12}$/ } }).select({ _id: 1 }).lean<Doc>()
    if (legacy) return new LegacyLedgerError()
    await meta.updateOne({ _id: LEDGER_FORMAT_MARK }, { $setOnInsert: { checkedAt: new Date() } }, { upsert: true })
    return true
  } catch (e) {
    return unknown(e)
  }
}

/**
 * `heads` is where every append sets its wallet's new head and where balances
 * are read first (services/ledger-heads; `off`: the ledger alone). The API's
 * composition root builds one repository with the process's heads and hands
 * it to the payments and the balance reads alike.
 */
export const LedgerRepository = (opts: { heads: LedgerHeads }) => {
  const { heads } = opts
  // The head each wallet had when this repository last looked: only where the
  // next search starts. A head is never answered from here without asking the
  // store whether the version after it exists.
  const knownHeads = new LRUCache<WalletId, Head>({ max: 50_000 })
  const entryAt = async (walletId: WalletId, version: number): Promise<Head | undefined> => {
    const d = await LedgerEntryModel.findById(ledgerEntryId(walletId, version)).select({ version: 1, balance: 1 }).lean<Doc>()
    return d ? { version: d.version as number, balance: d.balance as number } : undefined
  }

  /**
   * The wallet's newest entry, by asking for versions after the last head seen:
   * one lookup when nothing was appended since, otherwise a galloping search
   * (head+1, +2, +4, … until one is missing, then halving), O(log n) lookups.
   */
  const latest = async (walletId: WalletId): Promise<Head> => {
    let head: Head = knownHeads.get(walletId) ?? { version: 0, balance: 0 }
    let missing: number
    for (let step = 1; ; step *= 2) {
      const found = await entryAt(walletId, head.version + step)
      if (!found) {
        missing = head.version + step
        break
      }
      head = found
    }
    // head exists (or is 0), `missing` does not: narrow the gap between them.
    while (missing - head.version > 1) {
      const mid: number = head.version + Math.floor((missing - head.version) / 2)
      const found = await entryAt(walletId, mid)
      if (found) head = found
      else missing = mid
    }
    knownHeads.set(walletId, head)
    return head
  }

  /**
   * From the head kept in Redis when there is one (services/ledger-heads: set
   * by every append before it returns, never moved back, short-lived), else
   * from the ledger, which then fills it.
   */
  const balanceOf = async (walletId: WalletId): Promise<number | UnknownRepositoryError> => {
    const kept = await heads.read(walletId)
    if (kept) return kept.balance
    try {
      const startedAt = Date.now()
      const head = await latest(walletId)
      void heads.offer(walletId, head, startedAt)
      return head.balance
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
   * `maxBalance` refuses a credit that would raise the balance above it.
   */
  const append = async (
    args: AppendArgs,
    opts: { maxBalance?: number } = {},
  ): Promise<LedgerEntry | InsufficientBalanceError | InvalidAmountError | UnknownRepositoryError> => {
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const head = await latest(args.walletId)
        // Checked against the head this insert extends, so it holds under concurrent credits too.
        const next = nextLedgerHead(head, args.amount, opts)
        if (next instanceof Error) {
          const already = await LedgerEntryModel.findOne({ entryKey: args.entryKey }).lean<Doc>()
          if (already) return toEntry(already)
          return next
        }
        const { version, balance } = next
        const now = new Date()
        const doc = {
          _id: ledgerEntryId(args.walletId, version),
          ...args,
          direction: (args.amount < 0 ? "SEND" : "RECEIVE") as "SEND" | "RECEIVE",
          version,
          balance,
          createdAt: now,
          repairBucket: bucketOf(now, REPAIR_BUCKET_MS),
        }
        try {
          await LedgerEntryModel.create(doc)
        } catch (e) {
          if (!isDuplicateKeyError(e)) throw e
          const already = await LedgerEntryModel.findOne({ entryKey: args.entryKey }).lean<Doc>()
          if (already) return toEntry(already)
          await pause(attempt)
          continue
        }
        // Before the payment answers: a balance read on any replica from now on sees it.
        knownHeads.set(args.walletId, { version, balance })
        await heads.advance(args.walletId, { version, balance })
        return toEntry(doc as unknown as Doc)
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
      let older: Record<string, unknown> = {}
      if (after) {
        const cursor = await LedgerEntryModel.findOne({ _id: after }).lean<Doc>()
        if (!cursor || !walletIds.includes(cursor.walletId as WalletId)) return { entries: [], hasNextPage: false }
        older = {
          $or: [
            { createdAt: { $lt: cursor.createdAt } },
            { createdAt: cursor.createdAt, _id: { $lt: after } },
          ],
        }
      }
      // One query per wallet, merged: FerretDB hands an equality on walletId to SQL
      // (served by its GIN index on PostgreSQL), but never `$in`, which would read the
      // whole ledger.
      const pages = await Promise.all(
        walletIds.map((walletId) =>
          LedgerEntryModel.find({ walletId, ...older })
            .sort({ createdAt: -1, _id: -1 })
            .limit(first + 1)
            .lean<Doc[]>(),
        ),
      )
      const newestFirst = (a: Doc, b: Doc) =>
        (b.createdAt as Date).getTime() - (a.createdAt as Date).getTime() || (a._id === b._id ? 0 : (a._id as string) < (b._id as string) ? 1 : -1)
      const docs = pages.flat().sort(newestFirst).slice(0, first + 1)
      return { entries: docs.slice(0, first).map(toEntry), hasNextPage: docs.length > first }
    } catch (e) {
      return unknown(e)
    }
  }

  /**
   * The entries written in [from, now], by their repair buckets (time-buckets.ts):
   * equality lookups, never a range over the whole ledger.
   */
  const writtenSince = (from: Date) =>
    findInBuckets(
      { from, to: new Date(Date.now() + REPAIR_BUCKET_MS), sizeMs: REPAIR_BUCKET_MS },
      (repairBucket) => LedgerEntryModel.find({ repairBucket }).lean<Doc[]>(),
      () => LedgerEntryModel.find({ createdAt: { $gte: from } }).lean<Doc[]>(),
    )

  /**
   * Debits of transfers whose credit is missing (a crash between the two
   * steps), among the debits written in [newerThan, olderThan), newest first,
   * at most 5000. A credit follows its debit, so it is among the entries
   * written since; one that is not (a clock behind) is looked up by its key.
   */
  const debitsWithoutCredit = async (window: { newerThan: Date; olderThan: Date }): Promise<LedgerEntry[] | UnknownRepositoryError> => {
    try {
      const since = await writtenSince(window.newerThan)
      const credited = new Set(since.filter((d) => (d.entryKey as string).startsWith("credit:")).map((d) => d.transferId as string))
      const uncredited = since
        .filter((d) => d.direction === "SEND" && (d.createdAt as Date) >= window.newerThan && (d.createdAt as Date) < window.olderThan)
        .filter((d) => !credited.has(d.transferId as string))
        .sort((a, b) => (b.createdAt as Date).getTime() - (a.createdAt as Date).getTime())
        .slice(0, 5000)
      const found = await existingEntryKeys(uncredited.map((d) => `credit:${d.transferId as string}`))
      if (found instanceof Error) return found
      return uncredited.filter((d) => !found.has(`credit:${d.transferId as string}`)).map(toEntry)
    } catch (e) {
      return unknown(e)
    }
  }

  /**
   * The transfers with a debit written in [from, now] (by repair buckets), and
   * of `transferIds` the ones not among them that have a debit anyway (a clock
   * behind), looked up by key.
   */
  const transfersDebitedSince = async (from: Date, transferIds: string[]): Promise<Set<string> | UnknownRepositoryError> => {
    try {
      const debited = new Set(
        (await writtenSince(from)).filter((d) => (d.entryKey as string).startsWith("debit:")).map((d) => d.transferId as string),
      )
      const rest = transferIds.filter((t) => !debited.has(t))
      const found = await existingEntryKeys(rest.map((t) => `debit:${t}`))
      if (found instanceof Error) return found
      for (const t of rest) if (found.has(`debit:${t}`)) debited.add(t)
      return debited
    } catch (e) {
      return unknown(e)
    }
  }

  /**
   * Which of these entry keys exist: one lookup by `entryKey` each (an equality
   * FerretDB hands to SQL; `$in` it would evaluate over the whole ledger).
   */
  const existingEntryKeys = async (entryKeys: string[]): Promise<Set<string> | UnknownRepositoryError> => {
    try {
      const found = new Set<string>()
      for (let i = 0; i < entryKeys.length; i += 8) {
        const batch = entryKeys.slice(i, i + 8)
        const hits = await Promise.all(batch.map((entryKey) => LedgerEntryModel.exists({ entryKey })))
        batch.forEach((k, j) => hits[j] && found.add(k))
      }
      return found
    } catch (e) {
      return unknown(e)
    }
  }

  return { balanceOf, findByEntryKey, existingEntryKeys, append, listForWallets, debitsWithoutCredit, transfersDebitedSince }
}
