// A leaked API token must never mint or manage tokens: every management use case starts here.
import type { Account } from "@/domain/accounts"
import { ApiTokenManagementRequiresUserSessionError } from "@/domain/api-tokens"
import type { ManagementCaller } from "./deps"

export const requireUserSession = (caller: ManagementCaller): Account | ApiTokenManagementRequiresUserSessionError =>
  caller.kind === "user"
    ? caller.domainAccount
    : new ApiTokenManagementRequiresUserSessionError(
        caller.kind === "apiToken"
          ? "API tokens cannot manage API tokens; sign in with your user session"
          : "sign in with your user session to manage API tokens",
      )
