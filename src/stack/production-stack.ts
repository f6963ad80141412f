// The stack as operators deploy it (docs/operations.md "Running in production"), started
// natively on loopback: the production-profile suite (test/e2e/production-
// profile.test.ts) runs against exactly this.
//
//   client ──TLS──▶ nginx ──▶ API replica 1, API replica 2   (HTTP and WebSocket)
//                   nginx ──▶ Hydra public (https issuer, no --dev)
//   API ──▶ Hydra admin (internal), Mongo, Redis; Hydra ──▶ PostgreSQL
//   user sessions: a separate issuer process with its own JWKS (the gateway's stand-in)
//
// Addresses: nginx listens on 127.0.0.1 and connects to the upstreams from
// PROXY_ADDRESS (127.0.0.3), the only address the replicas trust (TRUST_PROXY);
// the replicas listen on REPLICA_HOST (127.0.0.2). So a caller that reaches a
// replica directly from 127.0.0.1 is not the proxy, and its X-Forwarded-For counts for nothing.
import { randomBytes } from "node:crypto"
import { join, resolve } from "node:path"
import { ApiReplica, startApiReplica } from "./api-replica"
import { ManagedProcess } from "./child-process"
import { startFerretdb } from "./ferretdb"
import { ensureBinaries } from "./go-build"
import { startHydra } from "./hydra"
import { launchedChildren, stopLeftovers } from "./leftovers"
import { startNginx } from "./nginx"
import { SessionIssuer, startSessionIssuer } from "./session-issuer"
import { createLoopbackTls, LoopbackTls } from "./tls"
import { freePort } from "./wait"

export const PROXY_ADDRESS = "127.0.0.3"
export const REPLICA_HOST = "127.0.0.2"
const PUBLIC_HOST = "127.0.0.1"

const distinctFreePorts = async (n: number) => {
  const ports = new Set<number>()
  while (ports.size < n) ports.add(await freePort())
  return [...ports]
}

export type ProductionStackOptions = {
  dataDir: string
  /** Hydra's database: PostgreSQL in production. */
  hydraDsn: string
  /** A MongoDB (replica set in production); default: FerretDB started in the data dir. */
  mongodbUri?: string
  redisUrl: string
  redisKeyPrefix?: string
  replicas?: number
  accessTokenLifespanSeconds?: number
  /** Extra settings for every API replica (e.g. LOG_LEVEL). */
  apiEnv?: NodeJS.ProcessEnv
  log?: (line: string) => void
}

export type ProductionReplica = ApiReplica & { metrics: string }

export type RunningProductionStack = {
  dataDir: string
  urls: {
    /** nginx, TLS: what clients use. */
    api: string
    graphql: string
    graphqlWs: string
    hydraPublic: string
    tokenEndpoint: string
    jwks: string
    /** Internal only (not behind nginx). */
    hydraAdmin: string
    mongodb: string
    redis: string
  }
  replicas: ProductionReplica[]
  tls: LoopbackTls
  proxyAddress: string
  sessions: SessionIssuer
  tokenHookSecret: string
  /** The settings every replica runs with (docs/operations.md "Running in production"). */
  apiEnv: Record<string, string>
  processes: ManagedProcess[]
  stop: () => Promise<void>
}

export const startProductionStack = async (o: ProductionStackOptions): Promise<RunningProductionStack> => {
  const log = o.log ?? ((l: string) => console.error(l))
  const dataDir = resolve(o.dataDir)
  const logDir = join(dataDir, "logs")
  const lifespan = o.accessTokenLifespanSeconds ?? 300
  await ensureBinaries(log, o.mongodbUri ? ["hydra"] : ["ferretdb", "hydra"])
  await stopLeftovers(dataDir)

  const { processes, track, stop } = launchedChildren<ManagedProcess>(dataDir)

  try {
    const tls = await createLoopbackTls(join(dataDir, "tls"))
    const replicaCount = o.replicas ?? 2
    // Every listener's port, all distinct (two asks of the OS may answer the same free port).
    const ports = await distinctFreePorts(5 + 2 * replicaCount)
    const [apiTlsPort, hydraTlsPort, hydraPort, hydraAdminPort, mongoPort] = ports as [number, number, number, number, number]
    const replicaPorts = ports.slice(5, 5 + replicaCount)
    const metricsPorts = ports.slice(5 + replicaCount)
    const apiUrl = `https://${PUBLIC_HOST}:${apiTlsPort}`
    const hydraPublicUrl = `https://${PUBLIC_HOST}:${hydraTlsPort}`
    const hydraAdminUrl = `http://${PUBLIC_HOST}:${hydraAdminPort}`
    const tokenHookSecret = randomBytes(32).toString("base64url")

    let mongodbUri = o.mongodbUri
    if (!mongodbUri) {
      log(`[production] starting FerretDB on ${PUBLIC_HOST}:${mongoPort}`)
      track(await startFerretdb({ host: PUBLIC_HOST, port: mongoPort, dataDir, logDir }))
      mongodbUri = `mongodb://${PUBLIC_HOST}:${mongoPort}/flash`
    }

    log("[production] starting the user-session issuer")
    const sessions = await startSessionIssuer({ dataDir: join(dataDir, "session-issuer"), logDir })
    track(sessions.process)

    log(`[production] starting Hydra (issuer ${hydraPublicUrl}, on PostgreSQL)`)
    track(
      await startHydra({
        dsn: o.hydraDsn,
        publicHost: PUBLIC_HOST,
        publicPort: hydraPort,
        adminPort: hydraAdminPort,
        issuer: hydraPublicUrl,
        // Through nginx (TLS), balanced over the replicas like any request.
        tokenHookUrl: `${apiUrl}/hooks/hydra/token`,
        tokenHookSecret,
        systemSecret: randomBytes(32).toString("base64url"),
        accessTokenLifespanSeconds: lifespan,
        logDir,
        extraEnv: { SSL_CERT_FILE: tls.caFile },
      }),
    )

    log(`[production] starting nginx on ${apiUrl} (API) and ${hydraPublicUrl} (Hydra)`)
    track(
      await startNginx({
        dir: join(dataDir, "nginx"),
        certFile: tls.certFile,
        keyFile: tls.keyFile,
        api: { listen: `${PUBLIC_HOST}:${apiTlsPort}`, upstreams: replicaPorts.map((p) => `${REPLICA_HOST}:${p}`) },
        hydraPublic: { listen: `${PUBLIC_HOST}:${hydraTlsPort}`, upstreams: [`${PUBLIC_HOST}:${hydraPort}`] },
        proxyAddress: PROXY_ADDRESS,
        logDir,
      }),
    )

    // Every setting a replica runs with, and nothing inherited from this process.
    const apiEnv: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      NODE_ENV: "production",
      FLASH_DATA_DIR: join(dataDir, "api"),
      API_HOST: REPLICA_HOST,
      API_PUBLIC_URL: apiUrl,
      MONGODB_URI: mongodbUri,
      REDIS_URL: o.redisUrl,
      ...(o.redisKeyPrefix ? { REDIS_KEY_PREFIX: o.redisKeyPrefix } : {}),
      HYDRA_PUBLIC_URL: hydraPublicUrl,
      HYDRA_ADMIN_URL: hydraAdminUrl,
      TOKEN_HOOK_SECRET: tokenHookSecret,
      SESSION_ISSUER: sessions.issuer,
      SESSION_JWKS_URL: sessions.jwksUrl,
      TRUST_PROXY: PROXY_ADDRESS,
      METRICS_HOST: REPLICA_HOST,
      // The CA of nginx's certificate: the API reaches Hydra's JWKS through it.
      NODE_EXTRA_CA_CERTS: tls.caFile,
      API_TOKEN_ACCESS_TOKEN_LIFESPAN_SECONDS: String(lifespan),
      ...(Object.fromEntries(Object.entries(o.apiEnv ?? {}).filter((e): e is [string, string] => e[1] !== undefined)) as Record<string, string>),
    }
    log(`[production] starting ${replicaCount} API replicas on ${REPLICA_HOST}`)
    const startReplica = (i: number) =>
      startApiReplica({
        apiEnv,
        primaryApiUrl: apiUrl,
        dataDir,
        host: REPLICA_HOST,
        port: replicaPorts[i],
        name: `api-${i + 1}`,
        extraEnv: {
          API_PUBLIC_URL: apiUrl,
          SESSION_ISSUER: sessions.issuer,
          SESSION_JWKS_URL: sessions.jwksUrl,
          METRICS_HOST: REPLICA_HOST,
          METRICS_PORT: String(metricsPorts[i]),
        },
      })
    // The first replica alone: it creates the collections and indexes of an
    // empty database (two processes doing that at once on FerretDB can fail,
    // as a rolling start never does). Then the others at once; every one that
    // started is tracked before a failure is thrown.
    const started: Array<PromiseSettledResult<Awaited<ReturnType<typeof startApiReplica>>>> = []
    started.push(...(await Promise.allSettled([startReplica(0)])))
    if (started[0]!.status === "fulfilled") {
      started.push(...(await Promise.allSettled(replicaPorts.slice(1).map((_, i) => startReplica(i + 1)))))
    }
    const replicas: ProductionReplica[] = []
    started.forEach((r, i) => {
      if (r.status !== "fulfilled") return
      track(r.value.process)
      replicas.push({ ...r.value, metrics: `http://${REPLICA_HOST}:${metricsPorts[i]}` })
    })
    const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected")
    if (failed) throw failed.reason
    log(`[production] up: ${apiUrl}/graphql behind nginx, ${replicas.length} replicas`)

    return {
      dataDir,
      urls: {
        api: apiUrl,
        graphql: `${apiUrl}/graphql`,
        graphqlWs: `${apiUrl.replace(/^https/, "wss")}/graphql`,
        hydraPublic: hydraPublicUrl,
        tokenEndpoint: `${hydraPublicUrl}/oauth2/token`,
        jwks: `${hydraPublicUrl}/.well-known/jwks.json`,
        hydraAdmin: hydraAdminUrl,
        mongodb: mongodbUri,
        redis: o.redisUrl,
      },
      replicas,
      tls,
      proxyAddress: PROXY_ADDRESS,
      sessions,
      tokenHookSecret,
      apiEnv,
      processes,
      stop,
    }
  } catch (e) {
    await stop()
    throw e
  }
}
