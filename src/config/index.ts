// The API's one configuration object: read once from the environment,
// validated with zod. An invalid or missing value stops the process with a
// message that names the variable (see `ConfigError`).
import { z } from "zod"
import { DEFAULT_ROTATION_DUE_DAYS, MAX_ROTATION_DUE_DAYS } from "../domain/api-tokens/rotation"
import { parseTrustedProxies } from "../domain/auth/ip-allowlist"

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes")

const port = z.coerce.number().int().min(1).max(65535)
const httpUrl = z
  .url({ protocol: /^https?$/ })
  .transform((u) => u.replace(/\/+$/, ""))
const positiveInt = z.coerce.number().int().positive()
const rotationDays = `must be a whole number of days from 1 to ${MAX_ROTATION_DUE_DAYS}`
/** Linux's sun_path holds 108 bytes, one of them the terminating NUL. */
export const UNIX_SOCKET_PATH_MAX = 107

const EnvShape = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  FLASH_DEV_MODE: bool.default(false),
  FLASH_DATA_DIR: z.string().min(1).default(".data"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** A request slower than this, or abandoned by its client, is logged at warn (0: never). */
  SLOW_REQUEST_LOG_MS: z.coerce.number().int().min(0).default(1000),

  API_HOST: z.string().min(1).default("127.0.0.1"),
  API_PORT: port.default(4012),
  API_PUBLIC_URL: httpUrl.optional(),
  /**
   * Reverse proxies whose X-Forwarded-For is honoured (comma-separated IPs or
   * CIDRs). Unset: none, the socket's peer is the client.
   */
  TRUST_PROXY: z
    .string()
    .optional()
    .superRefine((raw, ctx) => {
      const parsed = parseTrustedProxies(raw)
      if ("invalid" in parsed) {
        ctx.addIssue({ code: "custom", message: `must list IP addresses or CIDRs, comma-separated; "${parsed.invalid}" is neither` })
      }
    }),
  /** Schema introspection (__schema, __type) over HTTP and WebSocket. Off unless set. */
  GRAPHQL_INTROSPECTION: bool.default(false),
  /** Prometheus /metrics on a listener of its own, never on the API port (port 0: off). */
  METRICS_HOST: z.string().min(1).default("127.0.0.1"),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),

  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, "must start with mongodb:// or mongodb+srv://")
    .default("mongodb://127.0.0.1:27017/flash"),
  /**
   * The PostgreSQL database of the FerretDB that MONGODB_URI points at (its
   * postgresql handler). Set: the API creates the GIN indexes FerretDB's
   * lookups need there (src/services/ferretdb-postgresql). Unset (a real
   * MongoDB, or FerretDB on SQLite): nothing is done.
   */
  FERRETDB_POSTGRESQL_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must start with redis:// or rediss://")
    .optional(),
  REDIS_KEY_PREFIX: z.string().default("flash:"),
  /**
   * A Unix socket (mode 0600: only this OS user) on which the API takes
   * invalidation events from the admin CLI and applies them at once, Redis or
   * not. The launcher sets it to admin.sock in its data dir. Unset: none.
   */
  ADMIN_SOCKET: z
    .string()
    .refine((p) => p.startsWith("/"), "must be an absolute path")
    .refine((p) => Buffer.byteLength(p) <= UNIX_SOCKET_PATH_MAX, `must be at most ${UNIX_SOCKET_PATH_MAX} bytes (a Unix socket path)`)
    .optional(),
  /**
   * With Redis: how long a wallet's head (version, balance) kept there answers
   * balance reads before the ledger is read again. Every payment updates it
   * before it answers; the TTL only bounds how long a head can lag after a
   * writer died mid-payment. 0: every balance read asks the ledger.
   */
  LEDGER_HEAD_TTL_SECONDS: z.coerce.number().int().min(0).max(300).default(5),

  HYDRA_PUBLIC_URL: httpUrl.default("http://127.0.0.1:4444"),
  HYDRA_ADMIN_URL: httpUrl.default("http://127.0.0.1:4445"),
  HYDRA_ISSUER: z.string().min(1).optional(),
  HYDRA_JWKS_URL: httpUrl.optional(),
  HYDRA_ALGORITHMS: z.string().default("ES256"),
  TOKEN_HOOK_SECRET: z.string().min(32, "must be at least 32 characters"),

  SESSION_ISSUER: z.string().min(1).optional(),
  SESSION_JWKS_URL: httpUrl.optional(),
  SESSION_ALGORITHMS: z.string().default("RS256"),
  JWT_AUDIENCE: z.string().min(1).optional(),
  JWT_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
  JWT_MAX_AGE_SECONDS: positiveInt.default(24 * 3600),

  API_TOKEN_ACCESS_TOKEN_LIFESPAN_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
  API_TOKEN_MAX_ACTIVE_PER_ACCOUNT: positiveInt.default(25),
  API_TOKEN_MAX_EXPIRES_IN_SECONDS: positiveInt.default(365 * 24 * 3600),
  API_TOKEN_CACHE_TTL_SECONDS: positiveInt.default(30),
  /** A token whose secret is this many days old is flagged "rotation due" (list, page, audit). */
  API_TOKEN_ROTATION_DUE_DAYS: z.coerce
    .number({ error: rotationDays })
    .int({ error: rotationDays })
    .min(1, { error: rotationDays })
    .max(MAX_ROTATION_DUE_DAYS, { error: rotationDays })
    .default(DEFAULT_ROTATION_DUE_DAYS),
  REVOCATION_RESYNC_SECONDS: positiveInt.default(15),
  /** 0 turns the server's job off (then run `npm run admin -- cleanup|reconcile` from cron). */
  API_TOKEN_CLEANUP_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(60),
  API_TOKEN_RECONCILE_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(900),
  /** The active-token gauge's count, once per period across replicas (it reads every active token); 0: only at start. */
  API_TOKEN_ACTIVE_COUNT_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(300),
  // Requests per minute. API tokens get a stricter default than people.
  RATE_LIMIT_API_TOKEN_PER_MINUTE: positiveInt.default(300),
  RATE_LIMIT_SESSION_PER_MINUTE: positiveInt.default(1200),
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: positiveInt.default(600),
  /** Refused credentials per caller address (a budget apart from anonymous calls): then 429 / close 4429. */
  RATE_LIMIT_REFUSED_PER_MINUTE: positiveInt.default(600),
  /**
   * An operation takes max(1, ceil(cost / this)) points from its caller's rate
   * limit. 500: the BTCPay plugin's Boltcard poll (every second: its wallets,
   * then 20 transactions, cost 327) stays at 2 points a second, as before the
   * weighting; its largest read (100 transactions, 1607) takes 4; a query at
   * GRAPHQL_MAX_COST takes 10.
   */
  RATE_LIMIT_COST_PER_POINT: positiveInt.default(500),
  // What one GraphQL operation may cost (src/graphql/limits): refused with
  // QUERY_TOO_COMPLEX before any resolver runs. The defaults let every document
  // of the BTCPay Flash plugin, the token page and the Postman collection through.
  GRAPHQL_MAX_DEPTH: positiveInt.default(20),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).default(15),
  GRAPHQL_MAX_ROOT_FIELDS: positiveInt.default(10),
  GRAPHQL_MAX_COST: positiveInt.default(5000),
  GRAPHQL_MAX_TOKENS: positiveInt.default(1000),
  GRAPHQL_MAX_DIRECTIVES: z.coerce.number().int().min(0).default(50),
  /** Cap on list-size arguments (`first`, `last`) of fields without a documented maximum of their own. */
  GRAPHQL_MAX_LIST_SIZE: positiveInt.default(100),
  /**
   * Chaos tests only: apiTokenCreate of a token whose name starts with this
   * prefix pauses for a minute after its Hydra client exists and before its
   * record turns ACTIVE, so a test can kill the process in between. Refused
   * unless NODE_ENV=test and dev mode (which production refuses).
   */
  FLASH_TEST_PAUSE_CREATION_OF: z.string().min(1).optional(),
})

/** Every environment variable the API reads (the settings table of docs/configuration.md lists each). */
export const CONFIG_VARIABLES = Object.keys(EnvShape.shape)

const EnvSchema = EnvShape.superRefine((env, ctx) => {
  if (env.NODE_ENV === "production" && env.FLASH_DEV_MODE) {
    ctx.addIssue({
      code: "custom",
      path: ["FLASH_DEV_MODE"],
      message: "dev mode must be off when NODE_ENV=production (it exposes /dev/session)",
    })
  }
  if (env.FLASH_TEST_PAUSE_CREATION_OF && !(env.NODE_ENV === "test" && env.FLASH_DEV_MODE)) {
    ctx.addIssue({
      code: "custom",
      path: ["FLASH_TEST_PAUSE_CREATION_OF"],
      message: "is a chaos-test hook: only with NODE_ENV=test and FLASH_DEV_MODE=true",
    })
  }
  if (!env.FLASH_DEV_MODE && (!env.SESSION_ISSUER || !env.SESSION_JWKS_URL)) {
    ctx.addIssue({
      code: "custom",
      path: [env.SESSION_ISSUER ? "SESSION_JWKS_URL" : "SESSION_ISSUER"],
      message: "is required outside dev mode (the gateway's user-session issuer)",
    })
  }
})

const algorithmList = (raw: string, allowed: readonly string[], name: string): string[] => {
  const algs = raw.split(",").map((a) => a.trim()).filter(Boolean)
  const bad = algs.filter((a) => !allowed.includes(a))
  if (algs.length === 0 || bad.length > 0) {
    throw new ConfigError(`${name}: only asymmetric algorithms are allowed (${allowed.join(", ")}); got ${raw}`)
  }
  return algs
}
const ASYMMETRIC = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]

export class ConfigError extends Error {
  override name = "ConfigError"
}

export type Config = ReturnType<typeof loadConfig>

// Empty strings count as unset, so `FOO= npm start` falls back to the default.
const withoutEmpty = (env: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""))

const issueLines = (issues: z.core.$ZodIssue[]) => issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`)

export const loadConfig = (env: Record<string, string | undefined> = process.env) => {
  const parsed = EnvSchema.safeParse(withoutEmpty(env))
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration:\n${issueLines(parsed.error.issues).join("\n")}`)
  }
  const e = parsed.data
  const apiPublicUrl = e.API_PUBLIC_URL ?? `http://${e.API_HOST}:${e.API_PORT}`
  const devIssuer = `${apiPublicUrl}/dev`
  return {
    env: e.NODE_ENV,
    devMode: e.FLASH_DEV_MODE,
    dataDir: e.FLASH_DATA_DIR,
    logLevel: e.LOG_LEVEL,
    slowRequestLogMs: e.SLOW_REQUEST_LOG_MS,
    api: { host: e.API_HOST, port: e.API_PORT, publicUrl: apiPublicUrl },
    trustedProxies: parseTrustedProxies(e.TRUST_PROXY) as string[],
    graphql: { introspection: e.GRAPHQL_INTROSPECTION },
    metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT },
    mongodbUri: e.MONGODB_URI,
    ferretdbPostgresqlUrl: e.FERRETDB_POSTGRESQL_URL,
    redis: e.REDIS_URL ? { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX } : undefined,
    adminSocket: e.ADMIN_SOCKET,
    ledgerHeadTtlSeconds: e.LEDGER_HEAD_TTL_SECONDS,
    hydra: {
      publicUrl: e.HYDRA_PUBLIC_URL,
      adminUrl: e.HYDRA_ADMIN_URL,
      tokenEndpoint: `${e.HYDRA_PUBLIC_URL}/oauth2/token`,
      issuer: e.HYDRA_ISSUER ?? `${e.HYDRA_PUBLIC_URL}`,
      jwksUrl: e.HYDRA_JWKS_URL ?? `${e.HYDRA_PUBLIC_URL}/.well-known/jwks.json`,
      algorithms: algorithmList(e.HYDRA_ALGORITHMS, ASYMMETRIC, "HYDRA_ALGORITHMS"),
      tokenHookSecret: e.TOKEN_HOOK_SECRET,
    },
    session: {
      issuer: e.SESSION_ISSUER ?? devIssuer,
      jwksUrl: e.SESSION_JWKS_URL ?? `${devIssuer}/.well-known/jwks.json`,
      algorithms: algorithmList(e.SESSION_ALGORITHMS, ASYMMETRIC, "SESSION_ALGORITHMS"),
    },
    jwt: {
      audience: e.JWT_AUDIENCE,
      clockToleranceSeconds: e.JWT_CLOCK_TOLERANCE_SECONDS,
      maxAgeSeconds: e.JWT_MAX_AGE_SECONDS,
    },
    apiTokens: {
      accessTokenLifespanSeconds: e.API_TOKEN_ACCESS_TOKEN_LIFESPAN_SECONDS,
      maxActivePerAccount: e.API_TOKEN_MAX_ACTIVE_PER_ACCOUNT,
      maxExpiresInSeconds: e.API_TOKEN_MAX_EXPIRES_IN_SECONDS,
      cacheTtlSeconds: e.API_TOKEN_CACHE_TTL_SECONDS,
      rotationDueDays: e.API_TOKEN_ROTATION_DUE_DAYS,
      cleanupIntervalSeconds: e.API_TOKEN_CLEANUP_INTERVAL_SECONDS,
      reconcileIntervalSeconds: e.API_TOKEN_RECONCILE_INTERVAL_SECONDS,
      activeCountIntervalSeconds: e.API_TOKEN_ACTIVE_COUNT_INTERVAL_SECONDS,
    },
    revocationResyncSeconds: e.REVOCATION_RESYNC_SECONDS,
    testHooks: {
      pauseCreationOf: e.NODE_ENV === "test" && e.FLASH_DEV_MODE ? e.FLASH_TEST_PAUSE_CREATION_OF : undefined,
    },
    rateLimits: {
      apiTokenPerMinute: e.RATE_LIMIT_API_TOKEN_PER_MINUTE,
      sessionPerMinute: e.RATE_LIMIT_SESSION_PER_MINUTE,
      anonymousPerMinute: e.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
      refusedPerMinute: e.RATE_LIMIT_REFUSED_PER_MINUTE,
      costPerPoint: e.RATE_LIMIT_COST_PER_POINT,
    },
    queryLimits: {
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxRootFields: e.GRAPHQL_MAX_ROOT_FIELDS,
      maxCost: e.GRAPHQL_MAX_COST,
      maxTokens: e.GRAPHQL_MAX_TOKENS,
      maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
      maxListSize: e.GRAPHQL_MAX_LIST_SIZE,
    },
  }
}

export type ConfigVariable = keyof typeof EnvShape.shape
type Env = z.output<typeof EnvShape>

/**
 * A few of the API's settings, for a tool that needs only those (the admin CLI's
 * commands): each is validated by the same rule as in `loadConfig`, nothing
 * else is read. A `required` one must be set: its API default does not apply (an
 * operator's command must not act on a guessed database). `optional` ones keep
 * their API default. `purpose` names the caller in the message.
 */
export const loadSettings = <R extends ConfigVariable, O extends ConfigVariable = never>(
  env: Record<string, string | undefined>,
  wanted: { purpose: string; required: readonly R[]; optional?: readonly O[] },
): { [K in R]: NonNullable<Env[K]> } & { [K in O]: Env[K] } => {
  const shape: Record<string, z.ZodType> = {}
  for (const name of wanted.required) {
    const rule = EnvShape.shape[name]
    shape[name] = (rule instanceof z.ZodDefault || rule instanceof z.ZodOptional ? rule.unwrap() : rule) as z.ZodType
  }
  for (const name of wanted.optional ?? []) shape[name] = EnvShape.shape[name]
  const parsed = z.object(shape).safeParse(withoutEmpty(env), {
    error: (i) => (i.input === undefined ? `is required by ${wanted.purpose} (not set)` : undefined),
  })
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration:\n${issueLines(parsed.error.issues).join("\n")}`)
  }
  return parsed.data as { [K in R]: NonNullable<Env[K]> } & { [K in O]: Env[K] }
}
