// Brings up the whole stack — FerretDB, Hydra, the API — in dependency order,
// and stops all of it. Used by `npm start` (src/stack/cli.ts) and by the test
// harness (test/harness), so tests run the stack exactly as a user does.
import { join, resolve } from "node:path"
import { ensureBinaries } from "./go-build"
import { ManagedProcess, startProcess } from "./child-process"
import { startFerretdb } from "./ferretdb"
import { startHydra } from "./hydra"
import { repoRoot } from "./paths"
import { launchedChildren, stopLeftovers } from "./leftovers"
import { loadOrCreateSecrets } from "./secrets"
import { httpOk, waitFor } from "./wait"
import { apiEntryArgs, apiNodeFlags } from "./api-node-flags"
import { UNIX_SOCKET_PATH_MAX } from "../config"
import { writeDevStackSettings } from "../config/dev-stack-settings"

export type StackOptions = {
  dataDir: string
  host?: string
  apiPort?: number
  hydraPublicPort?: number
  hydraAdminPort?: number
  mongoPort?: number
  /** The API's metrics listener (default 9464; 0 = off). */
  metricsPort?: number
  /** Schema introspection on the API (default true: the dev launcher serves Postman and the tests). */
  introspection?: boolean
  /** Hydra's database; default: a SQLite file in the data dir. */
  hydraDsn?: string
  /** An external MongoDB: FerretDB is not started. */
  mongodbUri?: string
  /**
   * FerretDB on this PostgreSQL database (the API then creates the GIN indexes
   * its lookups need); default: FerretDB on SQLite, where every lookup scans.
   */
  ferretdbPostgresqlUrl?: string
  /** An external Hydra (both URLs): Hydra is not started. */
  hydraPublicUrl?: string
  hydraAdminUrl?: string
  redisUrl?: string
  redisKeyPrefix?: string
  accessTokenLifespanSeconds?: number
  /** Extra environment for the API process (e.g. LOG_LEVEL). */
  apiEnv?: NodeJS.ProcessEnv
  /** Extra node flags for the API process, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS). */
  apiNodeArgs?: string[]
  /** The API's entry: src/servers/main.ts through tsx (default), or a compiled build's main.js (src/stack/compiled-build.ts). */
  apiEntry?: string
  echo?: (line: string) => void
  log?: (line: string) => void
}

export type RunningStack = {
  dataDir: string
  urls: {
    graphql: string
    graphqlWs: string
    api: string
    tokenEndpoint: string
    jwks: string
    hydraPublic: string
    hydraAdmin: string
    mongodb: string
    redis?: string
    /** Base URL of the API's metrics listener (Prometheus text at `${metrics}/metrics`); absent when off. */
    metrics?: string
  }
  tokenHookSecret: string
  /** The API's admin socket (ADMIN_SOCKET), absent when the data dir's path is too long for one. */
  adminSocket?: string
  /** Where the API's non-secret settings are written for the admin CLI (src/config/dev-stack-settings.ts). */
  settingsFile: string
  processes: ManagedProcess[]
  apiEnv: NodeJS.ProcessEnv
  stop: () => Promise<void>
}

export const SQLITE_SCAN_WARNING =
  "[stack] warning: FerretDB on SQLite uses no index: every lookup is a full scan of its collection, and cost grows with the data. " +
  "Start PostgreSQL at 127.0.0.1:5432 (or set FERRETDB_POSTGRESQL_URL) to put FerretDB on PostgreSQL with GIN indexes."

export const startStack = async (o: StackOptions): Promise<RunningStack> => {
  const log = o.log ?? ((l: string) => console.error(l))
  const host = o.host ?? "127.0.0.1"
  const dataDir = resolve(o.dataDir)
  const logDir = join(dataDir, "logs")
  const apiPort = o.apiPort ?? 4012
  const metricsPort = o.metricsPort ?? Number(process.env.METRICS_PORT || 9464)
  const lifespan = o.accessTokenLifespanSeconds ?? 300
  const external = { hydra: Boolean(o.hydraPublicUrl && o.hydraAdminUrl), mongo: Boolean(o.mongodbUri) }
  const needed = [...(external.mongo ? [] : ["ferretdb" as const]), ...(external.hydra ? [] : ["hydra" as const])]
  await ensureBinaries(log, needed)

  const secrets = loadOrCreateSecrets(dataDir)
  const leftovers = await stopLeftovers(dataDir)
  if (leftovers.length > 0) {
    log(`[stack] stopped what an earlier launcher left running in ${dataDir}: ${leftovers.map((l) => `${l.name} (pid ${l.pid})`).join(", ")}`)
  }
  const { processes, track, stop } = launchedChildren<ManagedProcess>(dataDir)

  try {
    const mongoPort = o.mongoPort ?? 27017
    const mongodbUri = o.mongodbUri ?? `mongodb://${host}:${mongoPort}/flash`
    if (!external.mongo) {
      log(`[stack] starting FerretDB on ${host}:${mongoPort} (${o.ferretdbPostgresqlUrl ? "PostgreSQL" : "SQLite"})`)
      if (!o.ferretdbPostgresqlUrl) log(SQLITE_SCAN_WARNING)
      track(await startFerretdb({ host, port: mongoPort, dataDir, logDir, postgresqlUrl: o.ferretdbPostgresqlUrl, echo: o.echo }))
    }

    const apiUrl = `http://${host}:${apiPort}`
    const hydraPublicUrl = o.hydraPublicUrl ?? `http://${host}:${o.hydraPublicPort ?? 4444}`
    const hydraAdminUrl = o.hydraAdminUrl ?? `http://${host}:${o.hydraAdminPort ?? 4445}`
    if (!external.hydra) {
      const dsn = o.hydraDsn ?? `sqlite://${join(dataDir, "hydra.sqlite")}?_fk=true&mode=rwc`
      log(`[stack] starting Hydra on ${hydraPublicUrl} (admin ${hydraAdminUrl})`)
      track(
        await startHydra({
          dsn,
          publicHost: host,
          publicPort: o.hydraPublicPort ?? 4444,
          adminPort: o.hydraAdminPort ?? 4445,
          issuer: hydraPublicUrl,
          tokenHookUrl: `${apiUrl}/hooks/hydra/token`,
          tokenHookSecret: secrets.tokenHookSecret,
          systemSecret: secrets.hydraSystemSecret,
          accessTokenLifespanSeconds: lifespan,
          logDir,
          echo: o.echo,
        }),
      )
    }

    const adminSocket = process.env.ADMIN_SOCKET || defaultAdminSocket(dataDir, log)
    const apiEnv: NodeJS.ProcessEnv = {
      ...process.env,
      FLASH_DEV_MODE: "true",
      FLASH_DATA_DIR: dataDir,
      API_HOST: host,
      API_PORT: String(apiPort),
      API_PUBLIC_URL: apiUrl,
      METRICS_HOST: host,
      METRICS_PORT: String(metricsPort),
      GRAPHQL_INTROSPECTION: String(o.introspection ?? process.env.GRAPHQL_INTROSPECTION ?? true),
      MONGODB_URI: mongodbUri,
      // Our FerretDB: the API indexes its PostgreSQL database, or nothing on SQLite.
      ...(external.mongo ? {} : { FERRETDB_POSTGRESQL_URL: o.ferretdbPostgresqlUrl }),
      HYDRA_PUBLIC_URL: hydraPublicUrl,
      HYDRA_ADMIN_URL: hydraAdminUrl,
      TOKEN_HOOK_SECRET: secrets.tokenHookSecret,
      API_TOKEN_ACCESS_TOKEN_LIFESPAN_SECONDS: String(lifespan),
      ...(o.redisUrl ? { REDIS_URL: o.redisUrl } : {}),
      ...(o.redisKeyPrefix ? { REDIS_KEY_PREFIX: o.redisKeyPrefix } : {}),
      ...(adminSocket ? { ADMIN_SOCKET: adminSocket } : {}),
      ...o.apiEnv,
    }
    log(`[stack] starting the API on ${apiUrl}`)
    const api = startProcess({
      name: "api",
      command: process.execPath,
      args: [...apiNodeFlags(apiEnv), ...(o.apiNodeArgs ?? []), ...apiEntryArgs(o.apiEntry ?? join(repoRoot, "src", "servers", "main.ts"))],
      cwd: repoRoot,
      env: apiEnv,
      logDir,
      echo: o.echo,
    })
    track(api)
    await waitFor("API", httpOk(`${apiUrl}/readyz`), {
      // tsx compiles the API on start: slow on a busy 2-core machine.
      timeoutMs: 120_000,
      abortIf: () => (api.isRunning() ? undefined : `exited early, see ${api.logFile}`),
    })
    // For `npm run admin` beside this stack: the addresses, never the secrets.
    const settingsFile = writeDevStackSettings(dataDir, apiEnv)

    return {
      dataDir,
      urls: {
        api: apiUrl,
        graphql: `${apiUrl}/graphql`,
        graphqlWs: `${apiUrl.replace(/^http/, "ws")}/graphql`,
        tokenEndpoint: `${hydraPublicUrl}/oauth2/token`,
        jwks: `${hydraPublicUrl}/.well-known/jwks.json`,
        hydraPublic: hydraPublicUrl,
        hydraAdmin: hydraAdminUrl,
        mongodb: mongodbUri,
        redis: o.redisUrl,
        metrics: apiEnv.METRICS_PORT === "0" ? undefined : `http://${apiEnv.METRICS_HOST}:${apiEnv.METRICS_PORT}`,
      },
      tokenHookSecret: secrets.tokenHookSecret,
      adminSocket: apiEnv.ADMIN_SOCKET || undefined,
      settingsFile,
      processes,
      apiEnv,
      stop,
    }
  } catch (e) {
    await stop()
    throw e
  }
}

/** admin.sock in the data dir, unless that path is too long for a Unix socket (then none, with a warning). */
const defaultAdminSocket = (dataDir: string, log: (line: string) => void): string | undefined => {
  const path = join(dataDir, "admin.sock")
  if (Buffer.byteLength(path) <= UNIX_SOCKET_PATH_MAX) return path
  log(`[stack] no admin socket: ${path} is longer than a Unix socket path may be; the admin CLI's changes reach the API at its next resync (set ADMIN_SOCKET to a shorter path)`)
  return undefined
}
