// Operator CLI: `npm run admin -- <command>`, with the same environment as the API
// (MONGODB_URI, HYDRA_ADMIN_URL, REDIS_URL, ...).
//   list <accountId>    the account's tokens, newest first (no secrets exist to show)
//   revoke <tokenId>    revoke one token (REVOKED in Mongo, published on Redis, Hydra client deleted)
//   reconcile [pendingGraceSeconds]
//                       repair Mongo ↔ Hydra drift (unfinished creations older than the grace, default 300 s; orphan clients)
//   cleanup             delete Hydra clients of expired tokens and of ended rotation grace periods
//   audit <accountId>   the account's API-token audit trail and hourly usage, newest first (no secrets exist to show)
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
import { createRevocationSet, revocationSet, setRevocationSet } from "@/services/revocation"
import { configureApiTokens } from "./api-tokens"

const USAGE = "usage: npm run admin -- list <accountId> | revoke <tokenId> | reconcile [pendingGraceSeconds] | cleanup | audit <accountId> [first]"

const run = async (argv: string[]): Promise<number> => {
  const [command, arg, extra] = argv
  if (
    !command ||
    !["list", "revoke", "reconcile", "cleanup", "audit"].includes(command) ||
    ((command === "list" || command === "revoke" || command === "audit") && !arg)
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
  // With Redis, a revocation reaches every API replica within a second.
  if (config.redis) setRevocationSet(await createRevocationSet({ url: config.redis.url, keyPrefix: config.redis.keyPrefix }))
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
    await revocationSet().close()
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
