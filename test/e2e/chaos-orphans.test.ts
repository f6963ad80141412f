// No orphans: 20 times, the API is SIGKILLed while apiTokenCreate sits between
// the Hydra call (the client exists) and the Mongo write that marks the record
// ACTIVE (held there by the chaos-test hook FLASH_TEST_PAUSE_CREATION_OF, which
// the config refuses outside NODE_ENV=test + dev mode). After `admin reconcile`,
// Hydra's clients marked as ours and the live clients of ACTIVE records match
// one to one, and no PENDING record is left. Runs on a stack of its own; the
// restarted API and the admin CLI are the compiled build (what the image runs):
// twenty starts through tsx were most of this file's minute and a half.
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
// listOurClients keeps only clients carrying our marker (metadata.managed_by = FLASH_CLIENT_MARKER).
import { HydraAdmin } from "@/services/hydra"
import { ApiTokenClientModel, ApiTokenModel } from "@/services/mongoose/api-tokens-schema"
import { connectMongo, disconnectMongo } from "@/services/mongoose/connection"
import { ManagedProcess, startProcess } from "@/stack/child-process"
import { repoRoot } from "@/stack/paths"
import { RunningStack, startStack } from "@/stack/stack"
import { freeStackPorts, httpOk, waitFor } from "@/stack/wait"
import { buildCompiled, CompiledBuild } from "@/stack/compiled-build"
import { randomPhone } from "../support/phone"

const ROUNDS = 20
let stack: RunningStack
let dataDir: string
let api: ManagedProcess
let mongoConnected = false
let build: CompiledBuild | undefined

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const apiLog = () => readFileSync(join(dataDir, "logs", "api.log"), "utf8")
const pausesLogged = () => apiLog().split("\n").filter((l) => l.includes("chaos pause")).length

const startApi = async () => {
  const p = startProcess({
    name: "api",
    command: process.execPath,
    args: ["--enable-source-maps", build!.main],
    cwd: repoRoot,
    env: stack.apiEnv,
    logDir: join(dataDir, "logs"),
  })
  await waitFor("API", httpOk(`${stack.urls.api}/readyz`), {
    timeoutMs: 60_000,
    abortIf: () => (p.isRunning() ? undefined : "the API exited early"),
  })
  return p
}

beforeAll(async () => {
  build = await buildCompiled("chaos")
  dataDir = mkdtempSync(join(tmpdir(), "flash-chaos-"))
  stack = await startStack({
    dataDir,
    ...(await freeStackPorts()),
    apiEnv: {
      LOG_LEVEL: "info",
      NODE_ENV: "test",
      FLASH_TEST_PAUSE_CREATION_OF: "chaos-",
      // Only the explicit reconcile below repairs; the background jobs stay out of the way.
      API_TOKEN_RECONCILE_INTERVAL_SECONDS: "0",
    },
    log: () => undefined,
  })
  api = stack.processes.find((p) => p.name === "api")!
}, 120_000)

afterAll(async () => {
  if (mongoConnected) await disconnectMongo()
  await api?.stop()
  await stack?.stop()
  if (!process.env.FLASH_TEST_KEEP_DATA) rmSync(dataDir, { recursive: true, force: true })
  build?.remove()
}, 120_000)

const session = async () => {
  const res = await fetch(`${stack.urls.api}/dev/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ phone: randomPhone() }),
  })
  return ((await res.json()) as { token: string }).token
}
const create = (bearer: string, name: string) =>
  fetch(stack.urls.graphql, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
    body: JSON.stringify({
      query: `mutation($input: ApiTokenCreateInput!) { apiTokenCreate(input: $input) { errors { code } apiToken { id } } }`,
      variables: { input: { name, scopes: ["read"] } },
    }),
  }).then(async (r) => (await r.json()) as { data?: { apiTokenCreate: { errors: unknown[]; apiToken: { id: string } | null } } })

const reconcile = async (pendingGraceSeconds: string) => {
  const r = await promisify(execFile)(process.execPath, ["--enable-source-maps", build!.adminCli, "reconcile", pendingGraceSeconds], {
    cwd: repoRoot,
    env: { ...stack.apiEnv, LOG_LEVEL: "silent" },
    timeout: 60_000,
  })
  return JSON.parse(r.stdout) as { pendingRemoved: number; orphanClientsDeleted: number; failures: number }
}

describe("chaos: SIGKILL between the Hydra client and the ACTIVE record", () => {
  it(`leaves, after reconcile, Hydra clients and ACTIVE records one to one (${ROUNDS} kills)`, async () => {
    const survivors: string[] = []
    const s0 = await session()
    const ok = await create(s0, "ok-before")
    survivors.push(ok.data!.apiTokenCreate.apiToken!.id)

    for (let round = 0; round < ROUNDS; round++) {
      const before = pausesLogged()
      const pending = create(await session(), `chaos-${round}`).catch((e: unknown) => e)
      const deadline = Date.now() + 20_000
      while (pausesLogged() === before && Date.now() < deadline) await sleep(25)
      expect(pausesLogged()).toBe(before + 1)
      process.kill(api.pid, "SIGKILL")
      await api.exited
      // The client never got an answer (the connection died with the process).
      expect(String(((await pending) as Error).message)).toMatch(/fetch failed|socket|terminated/)
      api = await startApi()
    }

    const ok2 = await create(await session(), "ok-after")
    survivors.push(ok2.data!.apiTokenCreate.apiToken!.id)

    await connectMongo(stack.urls.mongodb)
    mongoConnected = true
    expect(await ApiTokenModel.countDocuments({ storedStatus: "PENDING" })).toBe(ROUNDS)
    const hydra = HydraAdmin({ adminUrl: stack.urls.hydraAdmin })
    const oursBefore = await hydra.listOurClients()
    if (oursBefore instanceof Error) throw oursBefore
    expect(oursBefore.length).toBe(ROUNDS + survivors.length)

    const report = await reconcile("0")
    expect(report).toMatchObject({ pendingRemoved: ROUNDS, failures: 0 })

    const ours = await hydra.listOurClients()
    if (ours instanceof Error) throw ours
    const active = await ApiTokenModel.find({ storedStatus: "ACTIVE" }).lean()
    const liveClients = await ApiTokenClientModel.find({ tokenId: { $in: active.map((t) => t._id) }, removedAt: { $exists: false } }).lean()
    expect(await ApiTokenModel.countDocuments({ storedStatus: "PENDING" })).toBe(0)
    expect(active.map((t) => String(t._id)).sort()).toEqual([...survivors].sort())
    expect(ours.map((c) => c.clientId).sort()).toEqual(liveClients.map((c) => String(c._id)).sort())
    expect(ours.every((c) => c.tokenId && survivors.includes(c.tokenId))).toBe(true)
  }, 600_000)
})
