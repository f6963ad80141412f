// Moving money between two wallets of our ledger without transactions.
//
// A transfer is two ledger entries: the debit of the sender ("debit:<id>") and
// the credit of the recipient ("credit:<id>"), each under the unique entryKey.
// The debit is the commit point: it is refused when the balance is short
// (the (walletId, version) unique index serialises concurrent debits of one
// wallet), and it records the recipient and the credit amount. Once it exists
// the transfer WILL complete: the credit is appended right after, and if the
// process dies in between, completeUnfinishedTransfers (run at start and
// periodically) appends it later — the unique entryKey makes that idempotent.
import type { WalletCurrency, WalletId } from "@/domain/accounts"
import type { LedgerEntry, LedgerEntryKind } from "@/domain/wallets/ledger"
import type { StoredReservation } from "@/services/mongoose/api-token-spends"
import { ApiTokenBudget, BudgetExceededError, checkPaymentMax, PaymentOverMaxError } from "@/domain/api-tokens"
import { paymentValue } from "@/domain/payments/price"
import { InsufficientBalanceError } from "@/domain/wallets"
import { accountTopic, invoiceTopic } from "@/services/pubsub"
import type { AccountUpdateEvent, InvoiceStatusEvent } from "../wallets/events"
import type { PaymentPorts } from "./ports"
import { RepairOptions, repairWindows, settledSpan, SettledSpan, TimeWindow } from "./repair-window"

export type TransferArgs = {
  transferId: string
  kind: LedgerEntryKind
  sender: { walletId: WalletId; currency: WalletCurrency; amount: number }
  recipient: { walletId: WalletId; currency: WalletCurrency; amount: number }
  memo?: string
  paymentHash?: string
  /**
   * Set when an API token pays: its usage counts the amount, and with a
   * budget the payment's value is reserved in its spend log first.
   */
  apiToken?: ApiTokenPayer
}

export type ApiTokenPayer = { tokenId: string; accountId: string; budget: ApiTokenBudget | undefined }

/** The clock that places a budget reservation in its period; tests inject one. */
export type TransferDeps = { now?: () => Date }

/** The refusals after which nothing moved: the caller gives back the invoice and the idempotency key. */
export const isRefusedBeforeDebit = (e: Error) =>
  e instanceof InsufficientBalanceError || e instanceof BudgetExceededError || e instanceof PaymentOverMaxError

export type { RepairOptions } from "./repair-window"
export type RepairOutcome = { credited: number; released: number; reservationsReleased: number }
/** A repair run's outcome, what it settled and how many records it found but could not finish. */
export type RepairRun = RepairOutcome & { span: SettledSpan; left: number }

/** The transfer and its repair over the given ports. */
export const createTransfers = (ports: PaymentPorts) => {
  const { ledger, accounts, invoices } = ports

  /**
   * With a budget, the payment's value is checked against the maximum per
   * payment (nothing written on refusal), then reserved in the token's
   * append-only spend log BEFORE the debit (the reservation is what makes the
   * check atomic: two parallel payments serialise on its unique index). A debit
   * that is refused, or provably never written, releases the reservation at
   * once; after a crash or a storage error of unknown outcome it stays until the
   * recovery job (completeUnfinishedTransfers) finds it minutes later without a
   * debit and releases it — until then the budget errs towards refusing.
   */
  const executeTransfer = async (
    t: TransferArgs,
    deps: TransferDeps = {},
  ): Promise<{ debit: LedgerEntry; credit: LedgerEntry | Error } | Error> => {
    const budget = t.apiToken?.budget
    let reservation: StoredReservation | undefined
    if (t.apiToken && budget) {
      const value = paymentValue({ senderAmount: t.sender.amount, senderCurrency: t.sender.currency })
      const withinMax = checkPaymentMax(budget, value)
      if (withinMax instanceof Error) return withinMax
      const reserved = await ports.spends(deps).reserve({ tokenId: t.apiToken.tokenId, walletId: t.sender.walletId, transferId: t.transferId, value }, budget)
      if (reserved instanceof Error) return reserved
      reservation = reserved
    }
    const debit = await debitFor(t)
    if (debit instanceof Error && reservation) {
      const written = debit instanceof InsufficientBalanceError ? undefined : await ledger.findByEntryKey(`debit:${t.transferId}`)
      if (written === undefined) await ports.spends(deps).release(reservation)
    }
    if (debit instanceof Error) return debit
    if (t.apiToken) ports.recordSent(t.apiToken.tokenId, t.apiToken.accountId, { currency: t.sender.currency, amount: t.sender.amount })
    const credit = await creditFor(debit, t.recipient.currency)
    return { debit, credit }
  }

  const debitFor = (t: TransferArgs) =>
    ledger.append({
      walletId: t.sender.walletId,
      amount: -t.sender.amount,
      entryKey: `debit:${t.transferId}`,
      transferId: t.transferId,
      kind: t.kind,
      currency: t.sender.currency,
      memo: t.memo,
      paymentHash: t.paymentHash,
      counterpartyWalletId: t.recipient.walletId,
      creditAmount: t.recipient.amount,
    })

  /** Appends (or finds) the credit that completes a debit. */
  const creditFor = async (debit: LedgerEntry, recipientCurrency: WalletCurrency) => {
    let credit: LedgerEntry | Error = new Error("not attempted")
    for (let attempt = 0; attempt < 3; attempt++) {
      credit = await ledger.append({
        walletId: debit.counterpartyWalletId!,
        amount: debit.creditAmount!,
        entryKey: `credit:${debit.transferId}`,
        transferId: debit.transferId,
        kind: debit.kind,
        currency: recipientCurrency,
        memo: debit.memo,
        paymentHash: debit.paymentHash,
        counterpartyWalletId: debit.walletId,
      })
      if (!(credit instanceof Error)) break
    }
    return credit
  }

  /** After a credit of an invoice: mark it paid and tell the subscribers. */
  const announceInvoicePaid = async (paymentHash: string, walletId: WalletId, accountId: string) => {
    await invoices.markSettled(paymentHash)
    await invoices.markPaid(paymentHash)
    const status: InvoiceStatusEvent = { paymentHash, walletId, status: "PAID" }
    const update: AccountUpdateEvent = { type: "LnUpdate", paymentHash, walletId, status: "PAID" }
    await Promise.all([ports.publish(invoiceTopic(paymentHash), status), ports.publish(accountTopic(accountId), update)])
  }

  const announceIntraLedger = async (accountId: string, event: AccountUpdateEvent) => {
    await ports.publish(accountTopic(accountId), event)
  }

  /**
   * A replay (same idempotency key) of a transfer whose debit exists finishes
   * what its first attempt may have left when its process died after the
   * debit: the credit, and for an invoice its paid mark and the subscribers'
   * PAID — at once, rather than at the next repair pass. Every step is
   * idempotent (the credit's entryKey, the invoice's marks), so a replay of a
   * finished transfer changes nothing; `invoicePaid` says the invoice was
   * marked paid already. Failures are left to the repair pass.
   */
  const finishReplayedTransfer = async (transferId: string, o: { invoicePaid?: boolean } = {}): Promise<void> => {
    const debit = await ledger.findByEntryKey(`debit:${transferId}`)
    if (!debit || debit instanceof Error || !debit.counterpartyWalletId) return
    const credited = await ledger.findByEntryKey(`credit:${transferId}`)
    if (credited instanceof Error) return
    if (credited && (!debit.paymentHash || o.invoicePaid)) return
    const recipient = await accounts.findWalletById(debit.counterpartyWalletId)
    if (recipient instanceof Error) return
    const credit = credited ?? (await creditFor(debit, recipient.currency))
    if (credit instanceof Error) return
    if (debit.paymentHash) await announceInvoicePaid(debit.paymentHash, recipient.id, recipient.accountId)
  }

  /**
   * Repairs what a crash left half done: debits without their credit get the
   * credit (and their invoice marked paid); invoice claims whose debit never
   * happened are released so the invoice can be paid again; budget
   * reservations whose debit never happened are released so they stop counting.
   */
  const completeUnfinishedTransfers = async (opts: RepairOptions = {}): Promise<RepairOutcome | Error> => {
    const r = await repairTransfers(opts)
    if (r instanceof Error) return r
    return { credited: r.credited, released: r.released, reservationsReleased: r.reservationsReleased }
  }

  /**
   * completeUnfinishedTransfers, telling also what the run settled (`span`:
   * every record of the three kinds created in it was read, see
   * repair-window.ts) and how many records it found but could not finish
   * (`left`: a store error on one of them; a later run retries them). What the
   * repair watermark advances on (repair-watermark.ts).
   */
  const repairTransfers = async (opts: RepairOptions = {}): Promise<RepairRun | Error> => {
    // Leave in-flight transfers alone; look back `windowMs` (every replica runs
    // this each minute over the last minutes, and at start from the watermark).
    const windows = repairWindows(new Date(), opts)
    let left = 0
    const debits = await ledger.debitsWithoutCredit(windows.debits)
    if (debits instanceof Error) return debits
    let credited = 0
    for (const debit of debits) {
      const recipient = await accounts.findWalletById(debit.counterpartyWalletId!)
      if (recipient instanceof Error) {
        left++
        continue
      }
      const credit = await creditFor(debit, recipient.currency)
      if (credit instanceof Error) {
        left++
        continue
      }
      credited++
      if (debit.paymentHash) await announceInvoicePaid(debit.paymentHash, recipient.id, recipient.accountId)
    }
    let released = 0
    // A claim is released only when no debit followed it for minutes: far longer
    // than any debit takes, so a slow payment in flight keeps its claim.
    const claims = await invoices.unsettledClaims(windows.claims)
    if (claims instanceof Error) return claims
    for (const claim of claims) {
      const debit = await ledger.findByEntryKey(`debit:${claim.transferId}`)
      const credit = await ledger.findByEntryKey(`credit:${claim.transferId}`)
      if (debit instanceof Error || credit instanceof Error) {
        left++
        continue
      }
      if (!debit && !credit) {
        const done = await invoices.releaseSettlement(claim.paymentHash, claim.transferId)
        if (done instanceof Error) left++
        else released++
      } else if (credit) {
        await invoices.markSettled(claim.paymentHash)
        await invoices.markPaid(claim.paymentHash)
      }
    }
    const reservations = await releaseAbandonedReservations(windows.reservations)
    if (reservations instanceof Error) return reservations
    left += reservations.left
    return { credited, released, reservationsReleased: reservations.released, span: settledSpan(windows), left }
  }

  /**
   * Appends the release of each reservation created in the window that
   * has no debit and no release: the process that made it died (or lost the
   * storage's answer) before the debit. The release counts in the reservation's
   * own period (a release after its period ended changes nothing that is read).
   * Append-only and idempotent: the release's
   * unique entryKey (`release:<transferId>`) makes a second run, another replica
   * or the payment's own release path a no-op.
   */
  const releaseAbandonedReservations = async ({ newerThan, olderThan }: TimeWindow): Promise<{ released: number; left: number } | Error> => {
    if (newerThan >= olderThan) return { released: 0, left: 0 }
    const spends = ports.spends()
    const candidates = await spends.unreleasedReservations({ newerThan, olderThan })
    if (candidates instanceof Error) return candidates
    if (candidates.length === 0) return { released: 0, left: 0 }
    // A debit follows its reservation: written since the window's start.
    const debited = await ledger.transfersDebitedSince(
      newerThan,
      candidates.map((r) => r.transferId),
    )
    if (debited instanceof Error) return debited
    let released = 0
    let left = 0
    for (const r of candidates) {
      if (debited.has(r.transferId)) continue
      const done = await spends.release(r)
      if (done instanceof Error) left++
      else released++
    }
    return { released, left }
  }

  return { executeTransfer, announceInvoicePaid, announceIntraLedger, finishReplayedTransfer, completeUnfinishedTransfers, repairTransfers }
}
