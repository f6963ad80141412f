// Repository for users, accounts and wallets: Mongo documents in, domain
// objects out, Mongo failures as repository errors.
import { randomUUID } from "node:crypto"
import { LRUCache } from "lru-cache"
import {
  Account,
  AccountId,
  PhoneNumber,
  User,
  Username,
  UserId,
  Wallet,
  WalletCurrency,
  WalletId,
} from "@/domain/accounts"
import { CouldNotFindError, UnknownRepositoryError } from "@/domain/shared/errors"
import { isDuplicateKeyError } from "./connection"
import { changedSinceWindow, changeStamp, findInBuckets } from "./time-buckets"
import { AccountModel, UserModel, UsernameModel, WalletModel } from "./schema"

type Doc = Record<string, unknown>
const toUser = (d: Doc): User => ({ id: d._id as UserId, phone: d.phone as PhoneNumber, createdAt: d.createdAt as Date })
const toAccount = (d: Doc): Account => ({
  id: d._id as AccountId,
  userId: d.userId as UserId,
  defaultWalletId: d.defaultWalletId as WalletId,
  status: d.status as Account["status"],
  createdAt: d.createdAt as Date,
})
const toWallet = (d: Doc): Wallet => ({
  id: d._id as WalletId,
  accountId: d.accountId as AccountId,
  currency: d.currency as WalletCurrency,
  createdAt: d.createdAt as Date,
})

const unknown = (e: unknown) => new UnknownRepositoryError(e instanceof Error ? e.message : String(e))

// Wallets are written once, with their account (findOrCreateByPhone: one BTC
// and one USD wallet), and never change or go away. So a wallet, and an
// account's complete list, are remembered in process: `me { … wallets … }` and
// every payment's wallet check skip a database round trip. An incomplete list
// (account creation still under way) is never remembered. The TTL only bounds
// how long memory is held for accounts no longer in use.
const WALLETS_PER_ACCOUNT = 2
const walletLists = new LRUCache<AccountId, readonly Wallet[]>({ max: 20_000, ttl: 10 * 60_000 })
const walletsById = new LRUCache<WalletId, Wallet>({ max: 40_000, ttl: 10 * 60_000 })

export const AccountsRepository = () => {
  const findAccountById = async (id: AccountId): Promise<Account | CouldNotFindError | UnknownRepositoryError> => {
    try {
      const d = await AccountModel.findById(id).lean<Doc>()
      return d ? toAccount(d) : new CouldNotFindError(`account ${id}`)
    } catch (e) {
      return unknown(e)
    }
  }

  const findAccountByUserId = async (userId: UserId) => {
    try {
      const d = await AccountModel.findOne({ userId }).lean<Doc>()
      return d ? toAccount(d) : new CouldNotFindError(`account of user ${userId}`)
    } catch (e) {
      return unknown(e)
    }
  }

  const listWallets = async (accountId: AccountId): Promise<Wallet[] | UnknownRepositoryError> => {
    const known = walletLists.get(accountId)
    if (known) return [...known]
    try {
      const docs = await WalletModel.find({ accountId }).sort({ currency: 1 }).lean<Doc[]>()
      const wallets = docs.map(toWallet)
      if (wallets.length >= WALLETS_PER_ACCOUNT) {
        walletLists.set(accountId, Object.freeze(wallets.map((w) => Object.freeze({ ...w }))))
      }
      return wallets
    } catch (e) {
      return unknown(e)
    }
  }

  const findWalletById = async (id: WalletId): Promise<Wallet | CouldNotFindError | UnknownRepositoryError> => {
    const known = walletsById.get(id)
    if (known) return known
    try {
      const d = await WalletModel.findById(id).lean<Doc>()
      if (!d) return new CouldNotFindError(`wallet ${id}`)
      const wallet = Object.freeze(toWallet(d))
      walletsById.set(id, wallet)
      return wallet
    } catch (e) {
      return unknown(e)
    }
  }

  const setAccountStatus = async (id: AccountId, status: Account["status"]) => {
    try {
      const r = await AccountModel.updateOne({ _id: id }, { $set: { status, ...changeStamp(new Date()) } })
      return r.matchedCount === 1 ? true : new CouldNotFindError(`account ${id}`)
    } catch (e) {
      return unknown(e)
    }
  }

  /** Accounts whose status changed at or after `since` (the invalidation resync). */
  const listChangedSince = async (since: Date): Promise<Array<{ id: AccountId; changedAt: Date }> | UnknownRepositoryError> => {
    try {
      const docs = await findInBuckets(
        changedSinceWindow(since),
        (changeBucket) => AccountModel.find({ changeBucket }, { _id: 1, changedAt: 1 }).lean<Doc[]>(),
        () => AccountModel.find({ changedAt: { $gte: since } }, { _id: 1, changedAt: 1 }).lean<Doc[]>(),
      )
      return docs
        .filter((d) => (d.changedAt as Date) >= since)
        .map((d) => ({ id: d._id as AccountId, changedAt: d.changedAt as Date }))
    } catch (e) {
      return unknown(e)
    }
  }

  /**
   * Finds the user with this phone or creates user, account and its BTC and USD
   * wallets. Safe to repeat and to race: every step is keyed by a unique index,
   * and a half-finished earlier attempt is completed.
   */
  const findOrCreateByPhone = async (
    phone: PhoneNumber,
  ): Promise<{ user: User; account: Account } | UnknownRepositoryError> => {
    try {
      let userDoc = await UserModel.findOne({ phone }).lean<Doc>()
      if (!userDoc) {
        try {
          await UserModel.create({ _id: randomUUID(), phone })
        } catch (e) {
          if (!isDuplicateKeyError(e)) throw e
        }
        userDoc = await UserModel.findOne({ phone }).lean<Doc>()
        if (!userDoc) return new UnknownRepositoryError("user vanished after insert")
      }
      const user = toUser(userDoc)

      let accountDoc = await AccountModel.findOne({ userId: user.id }).lean<Doc>()
      if (!accountDoc) {
        const accountId = randomUUID()
        const btcWalletId = randomUUID()
        try {
          await AccountModel.create({ _id: accountId, userId: user.id, defaultWalletId: btcWalletId })
        } catch (e) {
          if (!isDuplicateKeyError(e)) throw e
        }
        accountDoc = await AccountModel.findOne({ userId: user.id }).lean<Doc>()
        if (!accountDoc) return new UnknownRepositoryError("account vanished after insert")
      }
      const account = toAccount(accountDoc)

      const wanted: Array<{ currency: WalletCurrency; id: string }> = [
        { currency: "BTC", id: account.defaultWalletId },
        { currency: "USD", id: randomUUID() },
      ]
      for (const w of wanted) {
        try {
          await WalletModel.create({ _id: w.id, accountId: account.id, currency: w.currency })
        } catch (e) {
          if (!isDuplicateKeyError(e)) throw e
        }
      }
      return { user, account }
    } catch (e) {
      return unknown(e)
    }
  }

  /** Gives the account this username; true when it already has it, false when another account does. */
  const claimUsername = async (accountId: AccountId, username: Username): Promise<boolean | UnknownRepositoryError> => {
    try {
      await UsernameModel.create({ _id: username, accountId })
      return true
    } catch (e) {
      if (!isDuplicateKeyError(e)) return unknown(e)
      const owner = await UsernameModel.findById(username).lean<Doc>().catch(() => null)
      return owner?.accountId === accountId
    }
  }

  const findAccountByUsername = async (username: Username) => {
    try {
      const d = await UsernameModel.findById(username).lean<Doc>()
      return d ? findAccountById(d.accountId as AccountId) : new CouldNotFindError(`username ${username}`)
    } catch (e) {
      return unknown(e)
    }
  }

  return {
    claimUsername,
    findAccountByUsername,
    findAccountById,
    findAccountByUserId,
    listWallets,
    findWalletById,
    setAccountStatus,
    listChangedSince,
    findOrCreateByPhone,
  }
}
