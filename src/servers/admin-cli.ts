// Operator CLI: `npm run admin -- <command>`, with the same environment as the API
// (MONGODB_URI, HYDRA_ADMIN_URL, REDIS_URL, ...).
//   list <accountId>    the account's tokens, newest first (no secrets exist to show)
//   revoke <tokenId>    revoke one token (REVOKED in Mongo, published on Redis, Hydra client deleted)
//   reconcile [pendingGraceSeconds]
//                       repair Mongo ↔ Hydra drift (unfinished creations older than the grace, default 300 s; orphan clients)
//   cleanup             delete Hydra clients of expired tokens and of ended rotation grace periods
//   audit <accountId>   the account's API-token audit trail and hourly usage, newest first (no secrets exist to show)
//   lock <accountId>    lock the account: its API tokens and sessions are refused on every replica within a second,
//                       its WebSockets closed (4442), and Hydra issues no new JWT for its tokens
//   unlock <accountId>  unlock it again
// Output is JSON on stdout; exit code 0 on success, 1 on failure, 2 on usage errors.
import {
  apiTokenStatus,
} from "@/domain/api-tokens"
import { checkedToAccountId } from "@/domain/accounts"
import { cleanupApiTokens, listApiTokensOfAccount, reconcileApiTokens, revokeApiTokenById } from "@/app/api-tokens"
import { listAuditEventsOfAccount } from "@/app/audit"
import { ConfigError, loadConfig } from "@/config"
import { createLogger } from "@/services/logger"
import { connectMongo, disconnectMongo } from "@/services/mongoose/connection"
import { createInvalidationBus, invalidationBus, setInvalidationBus } from "@/services/invalidation"
import { AccountsRepository } from "@/services/mongoose/accounts"
import { recordAuditEvent } from "@/app/audit/record-audit-event"
import { configureApiTokens } from "./api-tokens"

const USAGE =
  "usage: npm run admin -- list <accountId> | revoke <tokenId> | reconcile [pendingGraceSeconds] | cleanup | audit <accountId> [first] | lock <accountId> | unlock <accountId>"
const NEEDS_ARG = ["list", "revoke", "audit", "lock", "unlock"]

const run = async (argv: string[]): Promise<number> => {
  const [command, arg, extra] = argv
  if (
    !command ||
    ![...NEEDS_ARG, "reconcile", "cleanup"].includes(command) ||
    (NEEDS_ARG.includes(command) && !arg)
  ) {
    console.error(USAGE)
    return 2
  }
  let config
  try {
    config = loadConfig()
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`[admin] ${e.message}`)
      return 2
    }
    throw e
  }
  const logger = createLogger(process.env.LOG_LEVEL ?? "warn")
  await connectMongo(config.mongodbUri)
  // With Redis, a revocation or a lock reaches every API replica within a second
  // (without it, their periodic resync from Mongo picks it up).
  if (config.redis) setInvalidationBus(await createInvalidationBus({ url: config.redis.url, keyPrefix: config.redis.keyPrefix }))
  const deps = configureApiTokens(config, logger)
  try {
    let result: unknown
    if (command === "list") {
      const accountId = checkedToAccountId(arg)
      if (accountId instanceof Error) {
        console.error(`[admin] ${accountId.message}`)
        return 2
      }
      const tokens = await listApiTokensOfAccount(accountId, deps)
      result =
        tokens instanceof Error
          ? tokens
          : tokens.map((t) => ({
              id: t.id,
              name: t.name,
              clientId: t.clientId,
              scopes: t.scopes,
              status: apiTokenStatus(t),
              createdAt: t.createdAt,
              expiresAt: t.expiresAt,
              lastUsedAt: t.lastUsedAt,
            }))
    } else if (command === "audit") {
      const accountId = checkedToAccountId(arg)
      if (accountId instanceof Error) {
        console.error(`[admin] ${accountId.message}`)
        return 2
      }
      result = await listAuditEventsOfAccount(accountId, { first: extra ? Number(extra) : 200 })
    } else if (command === "lock" || command === "unlock") {
      const accountId = checkedToAccountId(arg)
      if (accountId instanceof Error) {
        console.error(`[admin] ${accountId.message}`)
        return 2
      }
      const status = command === "lock" ? "LOCKED" : "ACTIVE"
      // Mongo first (the token hook and the resync read it), then every replica.
      const r = await AccountsRepository().setAccountStatus(accountId, status)
      if (!(r instanceof Error)) {
        await invalidationBus().publish({ accountId })
        await recordAuditEvent({ type: command === "lock" ? "ACCOUNT_LOCKED" : "ACCOUNT_UNLOCKED", accountId, actor: "operator" }, logger)
      }
      result = r instanceof Error ? r : { accountId, status }
    } else if (command === "revoke") {
      const r = await revokeApiTokenById(arg!, deps)
      result = r instanceof Error ? r : { id: r.id, status: apiTokenStatus(r), revokedAt: r.revokedAt }
    } else if (command === "reconcile") {
      const graceSeconds = arg === undefined ? undefined : Number(arg)
      if (graceSeconds !== undefined && !(Number.isInteger(graceSeconds) && graceSeconds >= 0)) {
        console.error(USAGE)
        return 2
      }
      result = await reconcileApiTokens(deps, graceSeconds === undefined ? {} : { pendingGraceMs: graceSeconds * 1000 })
    } else {
      result = await cleanupApiTokens(deps)
    }
    if (result instanceof Error) {
      console.error(`[admin] ${command} failed: ${result.name}: ${result.message}`)
      return 1
    }
    console.log(JSON.stringify(result, null, 2))
    return 0
  } finally {
    await invalidationBus().close()
    await disconnectMongo()
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error("[admin] failed:", e instanceof Error ? e.message : e)
    process.exit(1)
  },
)
