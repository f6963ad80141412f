// Flash's User, Account (ConsumerAccount) and Wallet (BTCWallet, UsdWallet): a
// subset of their fields, same names and types. Wallet lists and transactions
// only show wallets the caller may see (src/graphql/authz.ts).
import {
  GraphQLBoolean,
  GraphQLFieldConfigArgumentMap,
  GraphQLID,
  GraphQLInt,
  GraphQLInterfaceType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLString,
} from "graphql"
import type { Account as DomainAccount, Wallet as DomainWallet, WalletId as DomainWalletId } from "@/domain/accounts"
import { ValidationError } from "@/domain/shared/errors"
import { GraphQLContext, walletOf } from "@/graphql/context"
import { visibleWallets } from "@/graphql/authz"
import { asGraphQLError } from "../payload"
import { ConnectionSource, TransactionConnection } from "./transaction"
import { devRealtimePrice, RealtimePrice, WalletCurrency } from "./price"
import { DisplayCurrency, FractionalCentAmount, SignedAmount, WalletId } from "./scalars"

const MAX_PAGE = 100
const pageArgs: GraphQLFieldConfigArgumentMap = {
  after: { type: GraphQLString, description: "Returns the items in the list that come after the specified cursor." },
  before: { type: GraphQLString, description: "Returns the items in the list that come before the specified cursor." },
  first: { type: GraphQLInt, description: "Returns the first n items from the list." },
  last: { type: GraphQLInt, description: "Returns the last n items from the list." },
}

/** Newest first, forward pagination (`first`, `after`), as Flash's clients use it. */
export const transactionsOf = async (
  walletIds: DomainWalletId[],
  args: { first?: number | null; after?: string | null },
  ctx: GraphQLContext,
): Promise<ConnectionSource> => {
  const first = args.first ?? MAX_PAGE
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE) {
    throw asGraphQLError(new ValidationError(`first must be between 0 and ${MAX_PAGE}`), ctx)
  }
  if (walletIds.length === 0) return { entries: [], hasNextPage: false, hasPreviousPage: false }
  const page = await walletOf(ctx).ledger.listForWallets(walletIds, first, args.after ?? undefined)
  if (page instanceof Error) throw asGraphQLError(page, ctx)
  return { ...page, hasPreviousPage: Boolean(args.after) }
}

const walletFields = () => ({
  accountId: { type: new GraphQLNonNull(GraphQLID) },
  balance: {
    type: FractionalCentAmount,
    resolve: async (w: DomainWallet, _args: unknown, ctx: GraphQLContext) => {
      const b = await walletOf(ctx).ledger.balanceOf(w.id)
      if (b instanceof Error) throw asGraphQLError(b, ctx)
      return b
    },
  },
  id: { type: new GraphQLNonNull(GraphQLID) },
  isExternal: { type: new GraphQLNonNull(GraphQLBoolean), resolve: () => false },
  pendingIncomingBalance: {
    type: new GraphQLNonNull(SignedAmount),
    description: "An unconfirmed incoming onchain balance.",
    resolve: () => 0,
  },
  transactions: {
    type: TransactionConnection,
    args: pageArgs,
    resolve: (w: DomainWallet, args: { first?: number; after?: string }, ctx: GraphQLContext) =>
      transactionsOf([w.id], args, ctx),
  },
  walletCurrency: { type: new GraphQLNonNull(WalletCurrency), resolve: (w: DomainWallet) => w.currency },
})

export const IWallet = new GraphQLInterfaceType({
  name: "Wallet",
  description: "A generic wallet which stores value in one of our supported currencies.",
  fields: walletFields,
  resolveType: (w: DomainWallet) => (w.currency === "USD" ? "UsdWallet" : "BTCWallet"),
})
export const BTCWallet = new GraphQLObjectType<DomainWallet, GraphQLContext>({
  name: "BTCWallet",
  description: "A wallet belonging to an account which contains a BTC balance and a list of transactions.",
  interfaces: [IWallet],
  fields: walletFields,
})
export const UsdWallet = new GraphQLObjectType<DomainWallet, GraphQLContext>({
  name: "UsdWallet",
  description: "A wallet belonging to an account which contains a USD balance and a list of transactions.",
  interfaces: [IWallet],
  fields: walletFields,
})

const accountFields = () => ({
  defaultWalletId: { type: new GraphQLNonNull(WalletId) },
  displayCurrency: { type: new GraphQLNonNull(DisplayCurrency), resolve: () => "USD" },
  id: { type: new GraphQLNonNull(GraphQLID) },
  realtimePrice: { type: new GraphQLNonNull(RealtimePrice), resolve: () => devRealtimePrice() },
  transactions: {
    type: TransactionConnection,
    description: "A list of all transactions associated with walletIds optionally passed.",
    args: { ...pageArgs, walletIds: { type: new GraphQLList(WalletId) } },
    resolve: async (
      _a: DomainAccount,
      args: { first?: number; after?: string; walletIds?: Array<string | null> | null },
      ctx: GraphQLContext,
    ) => {
      const wallets = await visibleWallets(ctx)
      if (wallets instanceof Error) throw asGraphQLError(wallets, ctx)
      let ids = wallets.map((w) => w.id)
      // Ids the caller may not see are silently left out, as unknown ids are.
      if (args.walletIds) ids = ids.filter((id) => args.walletIds!.includes(id))
      return transactionsOf(ids, args, ctx)
    },
  },
  wallets: {
    type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(IWallet))),
    resolve: async (_a: DomainAccount, _args: unknown, ctx: GraphQLContext) => {
      const wallets = await visibleWallets(ctx)
      if (wallets instanceof Error) throw asGraphQLError(wallets, ctx)
      return wallets
    },
  },
})

export const IAccount = new GraphQLInterfaceType({
  name: "Account",
  fields: accountFields,
  resolveType: () => "ConsumerAccount",
})
export const ConsumerAccount = new GraphQLObjectType<DomainAccount, GraphQLContext>({
  name: "ConsumerAccount",
  interfaces: [IAccount],
  fields: accountFields,
})

export const User = new GraphQLObjectType<DomainAccount, GraphQLContext>({
  name: "User",
  fields: {
    defaultAccount: { type: new GraphQLNonNull(IAccount), resolve: (a) => a },
    id: { type: new GraphQLNonNull(GraphQLID), resolve: (a) => a.userId },
  },
})

export const PublicWallet = new GraphQLObjectType<DomainWallet>({
  name: "PublicWallet",
  description: "A public view of a generic wallet which stores value in one of our supported currencies.",
  fields: {
    id: { type: new GraphQLNonNull(GraphQLID) },
    walletCurrency: { type: new GraphQLNonNull(WalletCurrency), resolve: (w) => w.currency },
  },
})

