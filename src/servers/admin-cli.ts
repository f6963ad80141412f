// Operator CLI: `npm run admin -- <command>`.
//   list <accountId>    the account's tokens, newest first (no secrets exist to show)
//   revoke <tokenId>    revoke one token (REVOKED in Mongo, told to the running APIs, Hydra client deleted)
//   reconcile [pendingGraceSeconds]
//                       repair Mongo ↔ Hydra drift (unfinished creations older than the grace, default 300 s; orphan clients)
//   cleanup             delete Hydra clients of expired tokens and of ended rotation grace periods
//   audit <accountId> [first]
//                       the account's API-token audit trail and hourly usage, newest first (no secrets exist to show)
//   lock <accountId>    lock the account: its API tokens and sessions are refused at once, its WebSockets
//                       closed (4442), and Hydra issues no new JWT for its tokens
//   unlock <accountId>  unlock it again
//
// Settings: each command reads only the variables it uses (COMMANDS below), validated by the
// API's own rules (src/config). One the environment does not set is taken from the settings
// file of the dev stack (`npm start`) in FLASH_DATA_DIR (default .data), if there is one.
// A change that narrows a token or an account is told to the running APIs after the Mongo
// write: on Redis (REDIS_URL) to every replica, and on the API's admin socket (ADMIN_SOCKET),
// which needs no Redis. Without either, the APIs see it at their periodic resync from Mongo.
// Output is JSON on stdout, notes on stderr; exit code 0 on success, 1 on failure, 2 on usage
// or settings errors.
import { apiTokenStatus, OAuth2ServerUnavailableError } from "@/domain/api-tokens"
import { checkedToAccountId } from "@/domain/accounts"
import {
  ApiTokensDeps,
  ApiTokensPolicy,
  cleanupApiTokens,
  listApiTokensOfAccount,
  reconcileApiTokens,
  revokeApiTokenById,
  createApiTokensDeps,
} from "@/app/api-tokens"
import { listAuditEventsOfAccount } from "@/app/audit"
import { recordAuditEvent } from "@/app/audit/record-audit-event"
import { ConfigError, ConfigVariable, loadSettings } from "@/config"
import { readDevStackSettings } from "@/config/dev-stack-settings"
import { HydraAdmin, HydraAdminPort } from "@/services/hydra"
import { describeError } from "@/graphql/error-map"
import { createInvalidationBus, createLocalInvalidationBus, InvalidationBus, InvalidationEvent } from "@/services/invalidation"
import { notifyAdminSocket } from "@/services/invalidation/admin-socket"
import { createLogger, Logger } from "@/services/logger"
import { AccountsRepository } from "@/services/mongoose/accounts"
import { connectMongo, disconnectMongo } from "@/services/mongoose/connection"

/** The settings by which a command tells the running APIs of its change; all optional. */
const TELLS_APIS = ["REDIS_URL", "REDIS_KEY_PREFIX", "ADMIN_SOCKET"] as const

/** cleanup records rotation reminders at the API's age (src/app/api-tokens/rotation-reminders.ts). */
const READS_ROTATION_AGE = ["API_TOKEN_ROTATION_DUE_DAYS"] as const
type Optional = (typeof TELLS_APIS)[number] | (typeof READS_ROTATION_AGE)[number]
type Settings = ReturnType<typeof loadSettings<"MONGODB_URI", "HYDRA_ADMIN_URL" | Optional | "LOG_LEVEL">>
type Context = { deps: () => ApiTokensDeps; logger: Logger }
type Outcome = unknown | Error | UsageError

class UsageError extends Error {}

type Command = {
  args: string
  /** How many arguments it takes, at least and at most. */
  arity: [number, number]
  required: readonly ConfigVariable[]
  optional: readonly ConfigVariable[]
  run: (args: string[], ctx: Context) => Promise<Outcome>
}

const accountIdArg = (raw: string | undefined) => {
  const id = checkedToAccountId(raw)
  return id instanceof Error ? new UsageError(id.message) : id
}

const COMMANDS: Record<string, Command> = {
  list: {
    args: "<accountId>",
    arity: [1, 1],
    required: ["MONGODB_URI"],
    optional: [],
    run: async ([raw], { deps }) => {
      const accountId = accountIdArg(raw)
      if (accountId instanceof Error) return accountId
      const tokens = await listApiTokensOfAccount(accountId, deps())
      if (tokens instanceof Error) return tokens
      return tokens.map((t) => ({
        id: t.id,
        name: t.name,
        clientId: t.clientId,
        scopes: t.scopes,
        status: apiTokenStatus(t),
        createdAt: t.createdAt,
        expiresAt: t.expiresAt,
        lastUsedAt: t.lastUsedAt,
      }))
    },
  },
  audit: {
    args: "<accountId> [first]",
    arity: [1, 2],
    required: ["MONGODB_URI"],
    optional: [],
    run: async ([raw, first]) => {
      const accountId = accountIdArg(raw)
      if (accountId instanceof Error) return accountId
      if (first !== undefined && !/^[1-9][0-9]*$/.test(first)) return new UsageError("first must be a positive integer")
      return listAuditEventsOfAccount(accountId, { first: first ? Number(first) : 200 })
    },
  },
  lock: {
    args: "<accountId>",
    arity: [1, 1],
    required: ["MONGODB_URI"],
    optional: TELLS_APIS,
    run: ([raw], ctx) => setAccountStatus(raw, "LOCKED", ctx),
  },
  unlock: {
    args: "<accountId>",
    arity: [1, 1],
    required: ["MONGODB_URI"],
    optional: TELLS_APIS,
    run: ([raw], ctx) => setAccountStatus(raw, "ACTIVE", ctx),
  },
  revoke: {
    args: "<tokenId>",
    arity: [1, 1],
    required: ["MONGODB_URI", "HYDRA_ADMIN_URL"],
    optional: TELLS_APIS,
    run: async ([id], { deps }) => {
      const r = await revokeApiTokenById(id!, deps())
      return r instanceof Error ? r : { id: r.id, status: apiTokenStatus(r), revokedAt: r.revokedAt }
    },
  },
  reconcile: {
    args: "[pendingGraceSeconds]",
    arity: [0, 1],
    required: ["MONGODB_URI", "HYDRA_ADMIN_URL"],
    optional: TELLS_APIS,
    run: async ([raw], { deps }) => {
      if (raw !== undefined && !/^[0-9]+$/.test(raw)) return new UsageError("pendingGraceSeconds must be a whole number of seconds")
      return reconcileApiTokens(deps(), raw === undefined ? {} : { pendingGraceMs: Number(raw) * 1000 })
    },
  },
  cleanup: {
    args: "",
    arity: [0, 0],
    required: ["MONGODB_URI", "HYDRA_ADMIN_URL"],
    optional: READS_ROTATION_AGE,
    run: async (_args, { deps }) => cleanupApiTokens(deps()),
  },
}

const USAGE = `usage: npm run admin -- ${Object.entries(COMMANDS)
  .map(([name, c]) => `${name}${c.args ? ` ${c.args}` : ""}`)
  .join(" | ")}`

const setAccountStatus = async (raw: string | undefined, status: "LOCKED" | "ACTIVE", { deps, logger }: Context) => {
  const accountId = accountIdArg(raw)
  if (accountId instanceof Error) return accountId
  // Mongo first (the token hook and the resync read it), then the running APIs.
  const r = await AccountsRepository().setAccountStatus(accountId, status)
  if (r instanceof Error) return r
  await deps().invalidation.publish({ accountId })
  await recordAuditEvent({ type: status === "LOCKED" ? "ACCOUNT_LOCKED" : "ACCOUNT_UNLOCKED", accountId, actor: "operator" }, logger)
  return { accountId, status }
}

// Operators create no tokens: no command reads the creation policy. Zero caps
// would refuse a creation, should one ever be tried from here.
const NO_CREATION_POLICY: ApiTokensPolicy = {
  tokenEndpoint: "",
  graphqlUrl: "",
  accessTokenLifespanSeconds: 0,
  maxActivePerAccount: 0,
  maxExpiresInSeconds: 0,
}
const hydraUnused = async () => new OAuth2ServerUnavailableError("this command does not use Hydra (HYDRA_ADMIN_URL is not read)")
const NO_HYDRA: HydraAdminPort = {
  createClient: hydraUnused,
  deleteClient: hydraUnused,
  setClientScopes: hydraUnused,
  clientExists: hydraUnused,
  listOurClients: hydraUnused,
}

/**
 * The bus the use cases publish on: Redis when configured (every replica), and
 * the admin socket when known (the API on this machine, Redis or not). What
 * reached whom is said on stderr; the Mongo write stands either way.
 */
const tellingBus = async (s: Partial<Settings>): Promise<InvalidationBus> => {
  const bus = s.REDIS_URL ? await createInvalidationBus({ url: s.REDIS_URL, keyPrefix: s.REDIS_KEY_PREFIX ?? "flash:" }) : createLocalInvalidationBus()
  const told = async (event: InvalidationEvent) => {
    if (s.REDIS_URL) console.error(`[admin] sent on Redis (every replica applies it within a second): ${JSON.stringify(event)}`)
    if (s.ADMIN_SOCKET) {
      const r = await notifyAdminSocket(s.ADMIN_SOCKET, event)
      if (r === true) console.error(`[admin] applied at once by the API on ${s.ADMIN_SOCKET}`)
      else console.error(`[admin] the API's admin socket did not take it (${r.message}); running APIs see it at their next resync from Mongo`)
    }
    if (!s.REDIS_URL && !s.ADMIN_SOCKET) {
      console.error("[admin] neither REDIS_URL nor ADMIN_SOCKET is set: running APIs see this at their next resync from Mongo")
    }
  }
  return {
    ...bus,
    publish: async (event) => {
      await bus.publish(event)
      await told(event)
    },
  }
}

/**
 * The environment, with what the dev stack's settings file says for the names it leaves unset,
 * and the hint to say after a settings error: why that file did not provide what is missing.
 */
const environment = (names: readonly ConfigVariable[]): { env: Record<string, string | undefined>; hint?: string } | ConfigError => {
  const { FLASH_DATA_DIR } = loadSettings(process.env, { purpose: "the admin CLI", required: [], optional: ["FLASH_DATA_DIR"] })
  const env: Record<string, string | undefined> = { ...process.env }
  let stack
  try {
    stack = readDevStackSettings(FLASH_DATA_DIR)
  } catch (e) {
    return new ConfigError(`the dev stack's settings in ${FLASH_DATA_DIR} are unreadable: ${e instanceof Error ? e.message : String(e)}`)
  }
  if (!stack) {
    return { env, hint: `(no settings of a dev stack in ${FLASH_DATA_DIR}: set the variables, or run \`npm start\` with the same FLASH_DATA_DIR)` }
  }
  const withheld = stack.withheld.filter((k) => names.includes(k))
  const hint = withheld.length > 0 ? `(${stack.file} withholds ${withheld.join(", ")}: it carries credentials; set it in the environment)` : undefined
  const taken: string[] = []
  for (const name of names) {
    const fromFile = stack.settings[name as keyof typeof stack.settings]
    if (fromFile === undefined || (env[name] !== undefined && env[name] !== "")) continue
    env[name] = fromFile
    taken.push(name)
  }
  if (taken.length > 0) console.error(`[admin] read ${taken.join(", ")} from ${stack.file} (npm start's settings; the environment wins)`)
  return { env, hint }
}

const run = async (argv: string[]): Promise<number> => {
  const [name, ...args] = argv
  const command = name === undefined ? undefined : COMMANDS[name]
  if (!command || args.length < command.arity[0] || args.length > command.arity[1]) {
    console.error(USAGE)
    return 2
  }
  let settings: Partial<Settings>
  let hint: string | undefined
  try {
    const found = environment([...command.required, ...command.optional])
    if (found instanceof Error) throw found
    hint = found.hint
    settings = loadSettings(found.env, {
      purpose: `\`npm run admin -- ${name}\``,
      required: command.required as Array<"MONGODB_URI" | "HYDRA_ADMIN_URL">,
      optional: [...(command.optional as Optional[]), "LOG_LEVEL"],
    })
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`[admin] ${e.message}${hint ? `\n${hint}` : ""}`)
      return 2
    }
    throw e
  }
  const logger = createLogger(process.env.LOG_LEVEL ? (settings.LOG_LEVEL ?? "warn") : "warn")
  await connectMongo(settings.MONGODB_URI!)
  const bus = command.optional.includes("ADMIN_SOCKET") ? await tellingBus(settings) : createLocalInvalidationBus()
  let deps: ApiTokensDeps | undefined
  const ctx: Context = {
    logger,
    deps: () =>
      (deps ??= createApiTokensDeps({
        invalidation: bus,
        hydra: settings.HYDRA_ADMIN_URL ? HydraAdmin({ adminUrl: settings.HYDRA_ADMIN_URL }) : NO_HYDRA,
        policy: { ...NO_CREATION_POLICY, rotationDueDays: settings.API_TOKEN_ROTATION_DUE_DAYS },
        logger,
      })),
  }
  try {
    const result = await command.run(args, ctx)
    if (result instanceof UsageError) {
      console.error(`[admin] ${result.message}\n${USAGE}`)
      return 2
    }
    if (result instanceof Error) {
      // The code and message a client would see for it (an unknown id: API_TOKEN_NOT_FOUND), else its own.
      const described = describeError(result)
      console.error(`[admin] ${name} failed: ${described ? `${described.code}: ${described.message}` : `${result.name}: ${result.message || "(no message)"}`}`)
      return 1
    }
    console.log(JSON.stringify(result, null, 2))
    return 0
  } finally {
    await bus.close()
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
