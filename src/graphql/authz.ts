// The one wallet ownership check of the API (where Flash checks that a
// walletId belongs to the caller). Every walletId argument goes through
// `authorizedWallet`; every list of wallets through `visibleWallets`.
// A wallet is visible when it belongs to the caller's account AND, for an API
// token bound to walletIds (issue 4's wallet-level limit), is one of them.
// Anything else — another account's wallet, a wallet outside the token's
// list, an id that does not exist — is the same WalletNotFoundError, so a
// caller cannot probe for other people's wallets.
import { GraphQLError } from "graphql"
import type { Account, Wallet, WalletId } from "@/domain/accounts"
import type { ApiTokenBudget } from "@/domain/api-tokens"
import { checkedToWalletId } from "@/domain/accounts"
import { UnknownRepositoryError } from "@/domain/shared/errors"
import { WalletNotFoundError } from "@/domain/wallets"
import { AccountsRepository } from "@/services/mongoose/accounts"
import type { GraphQLContext } from "./context"

// One repository for the module (wallet checks run on every wallet field).
const accounts = AccountsRepository()

/** Thrown (not returned) so the client gets the generic UNAUTHENTICATED error, as the auth layer does. */
export const notAuthenticated = () => new GraphQLError("Not authenticated", { extensions: { code: "UNAUTHENTICATED" } })

export const requireAccount = (ctx: GraphQLContext): Account => {
  if (!ctx.domainAccount) throw notAuthenticated()
  return ctx.domainAccount
}

const tokenWalletLimit = (ctx: GraphQLContext): WalletId[] | undefined =>
  ctx.principal.kind === "apiToken" ? ctx.principal.apiTokenWalletIds : undefined

export const isWalletVisible = (ctx: GraphQLContext, wallet: Pick<Wallet, "id" | "accountId">): boolean => {
  const account = ctx.domainAccount
  if (!account || wallet.accountId !== account.id) return false
  const limit = tokenWalletLimit(ctx)
  return !limit || limit.includes(wallet.id)
}

export const authorizedWallet = async (
  ctx: GraphQLContext,
  rawWalletId: unknown,
): Promise<Wallet | WalletNotFoundError | UnknownRepositoryError> => {
  requireAccount(ctx)
  const walletId = checkedToWalletId(rawWalletId)
  if (walletId instanceof Error) return new WalletNotFoundError("wallet not found")
  const wallet = await accounts.findWalletById(walletId)
  if (wallet instanceof UnknownRepositoryError) return wallet
  if (wallet instanceof Error || !isWalletVisible(ctx, wallet)) return new WalletNotFoundError("wallet not found")
  return wallet
}

export const visibleWallets = async (ctx: GraphQLContext): Promise<Wallet[] | UnknownRepositoryError> => {
  const account = requireAccount(ctx)
  const wallets = await accounts.listWallets(account.id)
  if (wallets instanceof Error) return wallets
  return wallets.filter((w) => isWalletVisible(ctx, w))
}

/** The paying API token (its usage and budget); undefined for user sessions, which have no budget. */
export const apiTokenPayerOf = (ctx: GraphQLContext): { tokenId: string; accountId: string; budget: ApiTokenBudget | undefined } | undefined =>
  ctx.principal.kind === "apiToken"
    ? { tokenId: ctx.principal.apiTokenId, accountId: ctx.principal.domainAccount.id, budget: ctx.principal.budget }
    : undefined
