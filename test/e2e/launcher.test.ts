// The launcher as a user runs it (`npm start` runs the same file): it comes up,
// stops every child on SIGTERM, and keeps all data across a restart.
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DEFAULT_POSTGRES_ADMIN_URL, devFerretdbDatabase } from "@/stack/ferretdb"
import { stopLeftovers } from "@/stack/leftovers"
import { dropScratchPostgres } from "@/stack/scratch-services"
import { repoRoot } from "@/stack/paths"
import { freePort } from "@/stack/wait"
import { alive, launch as launchWith, stillAliveAfter, stopWithSigterm } from "../support/launcher"

const launch = (env: NodeJS.ProcessEnv) => launchWith({ ...process.env, ...env })

describe("the stack launcher", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "flash-launcher-"))
  let env: NodeJS.ProcessEnv
  beforeAll(async () => {
    env = {
      FLASH_DATA_DIR: dataDir,
      API_PORT: String(await freePort()),
      HYDRA_PUBLIC_PORT: String(await freePort()),
      HYDRA_ADMIN_PORT: String(await freePort()),
      FERRETDB_PORT: String(await freePort()),
      METRICS_PORT: String(await freePort()),
      MONGODB_URI: "",
      FERRETDB_POSTGRESQL_URL: "",
      HYDRA_DSN: "",
      HYDRA_PUBLIC_URL: "",
      HYDRA_ADMIN_URL: "",
      REDIS_URL: "",
    }
  })
  afterAll(async () => {
    // Whatever a failed test left running from a SIGKILLed launcher.
    await stopLeftovers(dataDir).catch(() => [])
    await dropScratchPostgres(DEFAULT_POSTGRES_ADMIN_URL, devFerretdbDatabase(dataDir))
    rmSync(dataDir, { recursive: true, force: true })
  })

  const api = () => `http://127.0.0.1:${env.API_PORT}`
  const admin = () => `http://127.0.0.1:${env.HYDRA_ADMIN_PORT}`
  const session = async (phone: string) =>
    (await (
      await fetch(`${api()}/dev/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ phone }),
      })
    ).json()) as { accountId: string }

  it(
    "prints where everything is, stops every child on SIGTERM, and keeps accounts and Hydra clients across a restart",
    async () => {
      const first = await launch(env)
      expect(first.output()).toContain(`GraphQL (HTTP)       ${api()}/graphql`)
      expect(first.output()).toContain("/oauth2/token")
      expect(first.output()).toContain("/.well-known/jwks.json")
      expect(first.output()).toContain("/dev/session")
      expect(first.output()).toContain(`Metrics              http://127.0.0.1:${env.METRICS_PORT}/metrics`)
      // PostgreSQL answers on this machine: FerretDB keeps the data dir's data in a database of its own.
      expect(first.output()).toContain(`(FerretDB on PostgreSQL, database ${devFerretdbDatabase(dataDir)})`)
      expect((await fetch(`${api()}/readyz`)).status).toBe(200)

      const { accountId } = await session("+15550009999")
      const created = await fetch(`${admin()}/admin/clients`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ client_id: "launcher-restart-probe", grant_types: ["client_credentials"], scope: "read" }),
      })
      expect(created.status).toBe(201)
      const kid = ((await (await fetch(`${admin()}/admin/keys/hydra.jwt.access-token`)).json()) as { keys: { kid: string }[] })
        .keys[0]!.kid

      const stopped = await stopWithSigterm(first)
      expect(stopped.code).toBe(0)
      // hydra, ferretdb and the API (each may sit under a wrapper process)
      expect(stopped.children.length).toBeGreaterThanOrEqual(3)
      expect(await stillAliveAfter(stopped.children)).toEqual([])

      const second = await launch(env)
      try {
        expect((await session("+15550009999")).accountId).toBe(accountId)
        expect((await fetch(`${admin()}/admin/clients/launcher-restart-probe`)).status).toBe(200)
        const keys = (await (await fetch(`${admin()}/admin/keys/hydra.jwt.access-token`)).json()) as {
          keys: { kid: string }[]
        }
        expect(keys.keys.map((k) => k.kid)).toEqual([kid])
      } finally {
        const again = await stopWithSigterm(second)
        expect(await stillAliveAfter(again.children)).toEqual([])
      }
    },
    240_000,
  )

  it(
    "after the launcher is SIGKILLed, the next start stops the children it left and comes up on the same ports; a start beside a live launcher is refused",
    async () => {
      const first = await launch(env)
      const pidsFile = join(dataDir, "stack-pids.json")
      const recorded = JSON.parse(readFileSync(pidsFile, "utf8")) as { children: Array<{ name: string; pid: number }> }
      expect(recorded.children.map((c) => c.name)).toEqual(["ferretdb", "hydra", "api"])
      const firstExit = new Promise((r) => first.child.once("exit", r))
      first.child.kill("SIGKILL")
      await firstExit
      // Nothing could stop them: they outlive their launcher, holding the ports.
      expect(recorded.children.filter((c) => alive(c.pid)).map((c) => c.name)).toEqual(["ferretdb", "hydra", "api"])

      const second = await launch(env)
      try {
        expect(second.output()).toMatch(/stopped what an earlier launcher left running in .*: ferretdb \(pid \d+\), hydra \(pid \d+\), api \(pid \d+\)/)
        expect(await stillAliveAfter(recorded.children.map((c) => c.pid))).toEqual([])
        expect((await fetch(`${api()}/readyz`)).status).toBe(200)

        const third = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "src/stack/cli.ts")], {
          cwd: repoRoot,
          env: { ...process.env, ...env },
          stdio: ["ignore", "pipe", "pipe"],
        })
        let out = ""
        third.stdout.on("data", (c: Buffer) => (out += c.toString()))
        third.stderr.on("data", (c: Buffer) => (out += c.toString()))
        const code = await new Promise<number | null>((r) => third.once("exit", r))
        expect(code).not.toBe(0)
        expect(out).toMatch(new RegExp(`another launcher \\(pid ${second.child.pid}\\) is running`))
        // and the running stack was left alone
        expect((await fetch(`${api()}/readyz`)).status).toBe(200)
      } finally {
        const stopped = await stopWithSigterm(second)
        expect(await stillAliveAfter(stopped.children)).toEqual([])
      }
      expect(existsSync(pidsFile)).toBe(false)
    },
    240_000,
  )
})
