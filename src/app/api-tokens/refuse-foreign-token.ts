// A session named a token of another account: the caller gets "not found"
// (never "forbidden", so ids cannot be probed), and both accounts' audit
// trails record the attempt — the owner's so they see someone tried.
import type { AccountId } from "@/domain/accounts"
import { ApiToken, ApiTokenNotFoundError } from "@/domain/api-tokens"
import { recordAuditEvent } from "../audit/record-audit-event"
import type { ApiTokensDeps, ManagementCaller } from "./deps"

export const refuseForeignToken = async (
  token: ApiToken,
  callerAccountId: AccountId,
  operation: "revoke" | "rotate" | "update",
  caller: ManagementCaller | undefined,
  deps: ApiTokensDeps,
): Promise<ApiTokenNotFoundError> => {
  const ip = caller?.kind === "user" ? caller.ip : undefined
  await Promise.all([
    recordAuditEvent(
      { type: "MANAGEMENT_REFUSED", accountId: callerAccountId, tokenId: token.id, actor: "user", reason: "TOKEN_OF_ANOTHER_ACCOUNT", ip, details: { operation } },
      deps.logger,
    ),
    recordAuditEvent(
      { type: "MANAGEMENT_REFUSED", accountId: token.accountId, tokenId: token.id, actor: "user", reason: "ATTEMPT_FROM_ANOTHER_ACCOUNT", ip, details: { operation } },
      deps.logger,
    ),
  ])
  return new ApiTokenNotFoundError()
}
