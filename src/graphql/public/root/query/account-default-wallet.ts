// Flash's public lookup of a payee: the default (or the given currency's)
// wallet of the account with this username. Public, as in Flash: it reveals a
// wallet id and currency, never a balance.
import { GraphQLError, GraphQLFieldConfig, GraphQLID, GraphQLNonNull, GraphQLObjectType } from "graphql"
import { checkedToUsername } from "@/domain/accounts"
import type { GraphQLContext } from "@/graphql/context"
import { WalletCurrency } from "@/graphql/public/types/price"
import { Username } from "@/graphql/public/types/scalars"
import { CouldNotFindError } from "@/domain/shared/errors"
import { AccountsRepository } from "@/services/mongoose/accounts"
import type { Wallet } from "@/domain/accounts"

const PublicWallet = new GraphQLObjectType<Wallet>({
  name: "PublicWallet",
  fields: {
    id: { type: new GraphQLNonNull(GraphQLID) },
    walletCurrency: { type: new GraphQLNonNull(WalletCurrency), resolve: (w) => w.currency },
  },
})

const notFound = () =>
  new GraphQLError("No account has this username", { extensions: { code: "ACCOUNT_NOT_FOUND" } })

export const accountDefaultWalletQuery: GraphQLFieldConfig<
  unknown,
  GraphQLContext,
  { username: string; walletCurrency?: "BTC" | "USD" | null }
> = {
  type: new GraphQLNonNull(PublicWallet),
  args: { username: { type: new GraphQLNonNull(Username) }, walletCurrency: { type: WalletCurrency } },
  resolve: async (_root, args) => {
    const username = checkedToUsername(args.username)
    if (username instanceof Error) throw notFound()
    const accounts = AccountsRepository()
    const account = await accounts.findAccountByUsername(username)
    if (account instanceof Error) {
      if (account instanceof CouldNotFindError) throw notFound()
      throw new GraphQLError("Storage is unavailable, please try again", { extensions: { code: "STORE_UNAVAILABLE" } })
    }
    const wallets = await accounts.listWallets(account.id)
    if (wallets instanceof Error) {
      throw new GraphQLError("Storage is unavailable, please try again", { extensions: { code: "STORE_UNAVAILABLE" } })
    }
    const wallet = args.walletCurrency
      ? wallets.find((w) => w.currency === args.walletCurrency)
      : wallets.find((w) => w.id === account.defaultWalletId)
    if (!wallet) throw notFound()
    return wallet
  },
}
