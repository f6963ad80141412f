// A ledger entry written straight into the collection, as another API process
// (or one that died before doing anything else) would leave it: a credit of 1
// at `version`, with the running `balance` after it.
import type { WalletId } from "@/domain/accounts"
import { ledgerEntryId } from "@/services/mongoose/ledger"
import { LedgerEntryModel } from "@/services/mongoose/ledger-schema"

export const entryWrittenElsewhere = (walletId: WalletId, version: number, balance: number, writer = "elsewhere") =>
  LedgerEntryModel.create({
    _id: ledgerEntryId(walletId, version),
    walletId,
    version,
    amount: 1,
    balance,
    entryKey: `credit:${writer}-${walletId}-${version}`,
    transferId: `${writer}-${walletId}-${version}`,
    kind: "intraledger",
    direction: "RECEIVE",
    currency: "BTC",
    createdAt: new Date(),
  })
