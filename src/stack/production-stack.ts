// The stack as operators deploy it (docs/operations.md "Running in production"), started
// natively on loopback: the production-profile suite (test/e2e/production-
// profile.test.ts) runs against exactly this.
//
//   client ──TLS──▶ nginx ──▶ API replica 1, API replica 2   (HTTP and WebSocket)
//                   nginx ──▶ Hydra public (https issuer, no --dev)
//   API ──▶ Hydra admin (internal), Mongo, Redis; Hydra ──▶ PostgreSQL
//   user sessions: a separate issuer process with its own JWKS (the gateway's stand-in)
//
// The cluster rehearsal (test/e2e/cluster-rehearsal.test.ts) asks for more:
// three replicas running the compiled build (`apiEntry`), two Hydra processes
// on the one PostgreSQL database, both behind nginx (public, and admin on an
// internal listener for the replicas), and `control` to kill (SIGKILL), stop
// (SIGTERM) and start again a replica or a Hydra on its own ports, while nginx
// keeps its upstream list.
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
  /** Hydra processes on the one database, balanced by nginx (default 1). */
  hydras?: number
  /** The API's entry: default the TypeScript source under tsx; a .js file (dist/main.js) runs with plain node. */
  apiEntry?: string
  accessTokenLifespanSeconds?: number
  /** Extra settings for every API replica (e.g. LOG_LEVEL). */
  apiEnv?: NodeJS.ProcessEnv
  log?: (line: string) => void
}

export type ProductionReplica = ApiReplica & { metrics: string }

export type ProductionHydra = {
  name: string
  /** Its own listeners, behind nginx (direct only for tests that mean it). */
  publicUrl: string
  adminUrl: string
  process: ManagedProcess
}

/**
 * Stop, kill or start one process of the stack; a replica or Hydra starts again
 * on its own ports, so nginx's upstream list stays as it is.
 */
export type ProductionControl = {
  /** SIGKILL: no shutdown, requests in flight are cut. Resolves once it exited. */
  killReplica: (i: number) => Promise<void>
  /** A graceful stop (SIGTERM: requests in flight finish, up to the API's 5 s). Resolves once it exited. */
  stopReplica: (i: number) => Promise<void>
  /** Starts a stopped or killed replica; resolves once its /readyz answers. */
  startReplica: (i: number) => Promise<ProductionReplica>
  killHydra: (i: number) => Promise<void>
  /** Starts a stopped or killed Hydra, without migrations; resolves once it is ready. */
  startHydra: (i: number) => Promise<ProductionHydra>
}

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
  /** The running replicas, by index; a restart replaces its entry. */
  replicas: ProductionReplica[]
  /** The Hydra processes, by index; a restart replaces its entry. */
  hydras: ProductionHydra[]
  control: ProductionControl
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
    const hydraCount = o.hydras ?? 1
    // Every listener's port, all distinct (two asks of the OS may answer the same free port).
    const ports = await distinctFreePorts(4 + 2 * replicaCount + 2 * hydraCount)
    const [apiTlsPort, hydraTlsPort, adminProxyPort, mongoPort] = ports as [number, number, number, number]
    const replicaPorts = ports.slice(4, 4 + replicaCount)
    const metricsPorts = ports.slice(4 + replicaCount, 4 + 2 * replicaCount)
    const hydraPorts = ports.slice(4 + 2 * replicaCount, 4 + 2 * replicaCount + hydraCount)
    const hydraAdminPorts = ports.slice(4 + 2 * replicaCount + hydraCount)
    const apiUrl = `https://${PUBLIC_HOST}:${apiTlsPort}`
    const hydraPublicUrl = `https://${PUBLIC_HOST}:${hydraTlsPort}`
    // With one Hydra the replicas reach its admin port directly; with more, nginx balances them.
    const hydraAdminUrl = `http://${PUBLIC_HOST}:${hydraCount > 1 ? adminProxyPort : hydraAdminPorts[0]}`
    const tokenHookSecret = randomBytes(32).toString("base64url")
    // One system secret for every Hydra: it encrypts what they share in the database (the signing keys).
    const systemSecret = randomBytes(32).toString("base64url")

    let mongodbUri = o.mongodbUri
    if (!mongodbUri) {
      log(`[production] starting FerretDB on ${PUBLIC_HOST}:${mongoPort}`)
      track(await startFerretdb({ host: PUBLIC_HOST, port: mongoPort, dataDir, logDir }))
      mongodbUri = `mongodb://${PUBLIC_HOST}:${mongoPort}/flash`
    }

    log("[production] starting the user-session issuer")
    const sessions = await startSessionIssuer({ dataDir: join(dataDir, "session-issuer"), logDir })
    track(sessions.process)

    const startHydraProcess = async (i: number, migrate: boolean): Promise<ProductionHydra> => {
      const name = i === 0 ? "hydra" : `hydra-${i + 1}`
      const proc = track(
        await startHydra({
          name,
          migrate,
          dsn: o.hydraDsn,
          publicHost: PUBLIC_HOST,
          publicPort: hydraPorts[i]!,
          adminPort: hydraAdminPorts[i]!,
          issuer: hydraPublicUrl,
          // Through nginx (TLS), balanced over the replicas like any request.
          tokenHookUrl: `${apiUrl}/hooks/hydra/token`,
          tokenHookSecret,
          systemSecret,
          accessTokenLifespanSeconds: lifespan,
          logDir,
          extraEnv: { SSL_CERT_FILE: tls.caFile },
        }),
      )
      return { name, publicUrl: `http://${PUBLIC_HOST}:${hydraPorts[i]}`, adminUrl: `http://${PUBLIC_HOST}:${hydraAdminPorts[i]}`, process: proc }
    }
    log(`[production] starting ${hydraCount === 1 ? "Hydra" : `${hydraCount} Hydra processes`} (issuer ${hydraPublicUrl}, on PostgreSQL)`)
    // The first migrates the database and creates the signing keys; the others find them there.
    const hydras: ProductionHydra[] = [await startHydraProcess(0, true)]
    for (let i = 1; i < hydraCount; i++) hydras.push(await startHydraProcess(i, false))

    log(`[production] starting nginx on ${apiUrl} (API) and ${hydraPublicUrl} (Hydra)`)
    track(
      await startNginx({
        dir: join(dataDir, "nginx"),
        certFile: tls.certFile,
        keyFile: tls.keyFile,
        api: { listen: `${PUBLIC_HOST}:${apiTlsPort}`, upstreams: replicaPorts.map((p) => `${REPLICA_HOST}:${p}`) },
        hydraPublic: { listen: `${PUBLIC_HOST}:${hydraTlsPort}`, upstreams: hydraPorts.map((p) => `${PUBLIC_HOST}:${p}`) },
        ...(hydraCount > 1
          ? { hydraAdmin: { listen: `${PUBLIC_HOST}:${adminProxyPort}`, upstreams: hydraAdminPorts.map((p) => `${PUBLIC_HOST}:${p}`) } }
          : {}),
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
    log(`[production] starting ${replicaCount} API replicas on ${REPLICA_HOST}${o.apiEntry ? ` (${o.apiEntry})` : ""}`)
    const startReplica = (i: number) =>
      startApiReplica({
        entry: o.apiEntry,
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
    log(`[production] up: ${apiUrl}/graphql behind nginx, ${replicas.length} replicas, ${hydras.length} Hydra`)

    const replicaAt = (i: number) => {
      const r = replicas[i]
      if (!r) throw new Error(`no replica ${i}`)
      return r
    }
    const hydraAt = (i: number) => {
      const h = hydras[i]
      if (!h) throw new Error(`no Hydra ${i}`)
      return h
    }
    const kill = async (p: ManagedProcess) => {
      if (!p.isRunning()) return
      process.kill(p.pid, "SIGKILL")
      await p.exited
    }
    const stopped = (p: ManagedProcess, what: string) => {
      if (p.isRunning()) throw new Error(`${what} is still running: stop or kill it first`)
    }
    const control: ProductionControl = {
      killReplica: async (i) => kill(replicaAt(i).process),
      stopReplica: async (i) => replicaAt(i).process.stop(),
      startReplica: async (i) => {
        stopped(replicaAt(i).process, `replica ${i}`)
        const r = await startReplica(i)
        track(r.process)
        replicas[i] = { ...r, metrics: `http://${REPLICA_HOST}:${metricsPorts[i]}` }
        return replicas[i]!
      },
      killHydra: async (i) => kill(hydraAt(i).process),
      startHydra: async (i) => {
        stopped(hydraAt(i).process, `Hydra ${i}`)
        hydras[i] = await startHydraProcess(i, false)
        return hydras[i]!
      },
    }

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
      hydras,
      control,
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
