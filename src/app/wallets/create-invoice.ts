// Creates an invoice on our node for one of the caller's wallets (Flash's
// lnInvoiceCreate / lnUsdInvoiceCreate / lnNoAmountInvoiceCreate).
import type { Wallet } from "@/domain/accounts"
import { minorToSats } from "@/domain/payments/price"
import {
  checkedToExpiryMinutes,
  DEFAULT_INVOICE_EXPIRY_MINUTES,
  DEFAULT_USD_INVOICE_EXPIRY_MINUTES,
  checkedToMemo,
  checkedToMinorAmount,
  WrongWalletCurrencyError,
} from "@/domain/wallets"
import type { WalletInvoice } from "@/domain/wallets/invoice"
import type { LightningService } from "@/services/lightning"
import { InvoicesRepository } from "@/services/mongoose/invoices"

export type CreateInvoiceArgs = {
  wallet: Wallet
  /** Which wallet currency the mutation requires; undefined: either (no-amount invoices). */
  expectedCurrency: Wallet["currency"] | undefined
  /** Minor units of the wallet's currency; undefined for a no-amount invoice. */
  amount: unknown
  memo: unknown
  expiresIn: unknown
}

export const createInvoiceForWallet = async (
  args: CreateInvoiceArgs,
  deps: { lightning: Pick<LightningService, "createInvoice"> },
): Promise<WalletInvoice | Error> => {
  if (args.expectedCurrency && args.wallet.currency !== args.expectedCurrency) {
    return new WrongWalletCurrencyError(`this mutation needs a ${args.expectedCurrency} wallet`)
  }
  const amount = args.amount === undefined ? undefined : checkedToMinorAmount(args.amount)
  if (amount instanceof Error) return amount
  const memo = checkedToMemo(args.memo)
  if (memo instanceof Error) return memo
  const minutes = checkedToExpiryMinutes(
    args.expiresIn,
    args.wallet.currency === "USD" ? DEFAULT_USD_INVOICE_EXPIRY_MINUTES : DEFAULT_INVOICE_EXPIRY_MINUTES,
  )
  if (minutes instanceof Error) return minutes

  const amountSats = amount === undefined ? undefined : minorToSats(amount, args.wallet.currency)
  const created = await deps.lightning.createInvoice({ amountSats, memo, expiresInSeconds: minutes * 60 })
  if (created instanceof Error) return created
  return InvoicesRepository().persist({
    paymentHash: created.paymentHash,
    paymentRequest: created.paymentRequest,
    walletId: args.wallet.id,
    accountId: args.wallet.accountId,
    currency: args.wallet.currency,
    amountSats,
    receiveAmount: amount,
    memo,
    paymentSecret: created.paymentSecret,
    preimage: created.preimage,
    expiresAt: created.expiresAt,
    createdAt: new Date(),
  })
}
