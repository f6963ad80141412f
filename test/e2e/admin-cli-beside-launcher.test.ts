// `npm run admin` next to a running `npm start`, as a new user runs them: the
// dev launcher without Redis on its own data dir, and the CLI in the same
// checkout with nothing in its environment but what a shell has (and the same
// FLASH_DATA_DIR). The CLI finds the stack's settings itself, and its revoke
// reaches the running API at once, through the API's admin socket.
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { DEFAULT_POSTGRES_ADMIN_URL, devFerretdbDatabase } from "@/stack/ferretdb"
import { stopLeftovers } from "@/stack/leftovers"
import { repoRoot } from "@/stack/paths"
import { dropScratchPostgres } from "@/stack/scratch-services"
import { freePort } from "@/stack/wait"
import { eventually } from "../support/eventually"
import { openSocket, post, statusOf } from "../support/invalidation"
import { launch, Launched, stopWithSigterm } from "../support/launcher"

const run = promisify(execFile)

describe("the admin CLI beside npm start, without Redis", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "flash-admin-cli-"))
  // What a user's shell has; no setting of the stack.
  const userEnv = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", FLASH_DATA_DIR: dataDir }
  let launched: Launched | undefined
  let api = ""
  const sockets: Array<{ dispose: () => unknown }> = []

  beforeAll(async () => {
    api = `http://127.0.0.1:${await freePort()}`
    launched = await launch({
      ...userEnv,
      API_PORT: new URL(api).port,
      HYDRA_PUBLIC_PORT: String(await freePort()),
      HYDRA_ADMIN_PORT: String(await freePort()),
      FERRETDB_PORT: String(await freePort()),
      METRICS_PORT: String(await freePort()),
    })
  }, 120_000)
  afterAll(async () => {
    for (const s of sockets) await s.dispose()
    if (launched) await stopWithSigterm(launched)
    await stopLeftovers(dataDir).catch(() => [])
    // The launcher keeps a dev stack's FerretDB database across restarts: this one is the test's.
    await dropScratchPostgres(DEFAULT_POSTGRES_ADMIN_URL, devFerretdbDatabase(dataDir))
    rmSync(dataDir, { recursive: true, force: true })
  })

  const admin = async (...args: string[]) => {
    try {
      const r = await run("npm", ["run", "--silent", "admin", "--", ...args], { cwd: repoRoot, env: userEnv, timeout: 50_000 })
      return { code: 0, stdout: r.stdout, stderr: r.stderr }
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string }
      return { code: x.code, stdout: x.stdout, stderr: x.stderr }
    }
  }

  const merchantWithToken = async (phone: string) => {
    const session = (await (
      await fetch(`${api}/dev/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ phone }) })
    ).json()) as { token: string; accountId: string }
    const created = await post(
      `${api}/graphql`,
      session.token,
      "mutation($input: ApiTokenCreateInput!) { apiTokenCreate(input: $input) { errors { code } apiToken { id clientId clientSecret tokenEndpoint } } }",
      { input: { name: `cli-${Date.now()}`, scopes: ["read"] } },
    )
    const token = created.body.data.apiTokenCreate.apiToken as { id: string; clientId: string; clientSecret: string; tokenEndpoint: string }
    const exchanged = await fetch(token.tokenEndpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(token.clientId)}:${encodeURIComponent(token.clientSecret)}`).toString("base64")}`,
      },
      body: new URLSearchParams({ grant_type: "client_credentials" }),
    })
    const jwt = ((await exchanged.json()) as { access_token: string }).access_token
    return { accountId: session.accountId, session: session.token, token, jwt }
  }

  it("the launcher records its API's settings without any secret, gives the API a socket only its user can open, and says how to run the CLI", () => {
    expect(launched!.output()).toContain(`FLASH_DATA_DIR=${dataDir} npm run admin -- list <accountId>  (settings from ${join(dataDir, "stack-settings.json")}; changes applied at once`)
    const file = join(dataDir, "stack-settings.json")
    const written = readFileSync(file, "utf8")
    const { settings } = JSON.parse(written) as { settings: Record<string, string> }
    expect(settings).toEqual({
      MONGODB_URI: expect.stringMatching(/^mongodb:\/\/127\.0\.0\.1:\d+\/flash$/),
      HYDRA_PUBLIC_URL: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      HYDRA_ADMIN_URL: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      API_PUBLIC_URL: api,
      ADMIN_SOCKET: join(dataDir, "admin.sock"),
    })
    const secrets = JSON.parse(readFileSync(join(dataDir, "secrets.json"), "utf8")) as Record<string, string>
    for (const secret of Object.values(secrets)) expect(written).not.toContain(secret)
    const socket = statSync(settings.ADMIN_SOCKET!)
    expect(socket.isSocket()).toBe(true)
    expect(socket.mode & 0o777).toBe(0o600)
  })

  it(
    "cleanup, list and revoke succeed with the stack's own settings; after the revoke the very next request with the token's JWT gets 401, and its open WebSocket closes 4441 within 1 s",
    async () => {
      const { accountId, token, jwt } = await merchantWithToken("+15550004242")
      expect(await statusOf(`${api}/graphql`, jwt)).toBe(200)
      const ws = await openSocket(`${api.replace(/^http/, "ws")}/graphql`, jwt)
      sockets.push(ws)

      const cleanup = await admin("cleanup")
      expect(cleanup).toMatchObject({ code: 0 })
      expect(JSON.parse(cleanup.stdout)).toHaveProperty("expiredTokensCleaned")
      expect(cleanup.stderr).toContain(`read MONGODB_URI, HYDRA_ADMIN_URL from ${join(dataDir, "stack-settings.json")}`)

      const list = await admin("list", accountId)
      expect(list.code).toBe(0)
      expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ id: token.id, clientId: token.clientId, status: "ACTIVE" })])
      expect(list.stdout).not.toContain(token.clientSecret)

      const revoke = await admin("revoke", token.id)
      expect(revoke.code).toBe(0)
      expect(JSON.parse(revoke.stdout)).toMatchObject({ id: token.id, status: "REVOKED" })
      expect(revoke.stderr).toContain(`applied at once by the API on ${join(dataDir, "admin.sock")}`)
      // The CLI returns once the API applied it: no resync (15 s) is waited for.
      expect(await statusOf(`${api}/graphql`, jwt)).toBe(401)
      await eventually("the token's socket is closed", () => !ws.isOpen(), 1000)
      expect(await ws.closed).toBe(4441)

      // A token id that names no token says so, with the code a client would see.
      const unknown = await admin("revoke", "00000000-0000-4000-8000-000000000000")
      expect(unknown.code).toBe(1)
      expect(unknown.stderr).toContain("[admin] revoke failed: API_TOKEN_NOT_FOUND: API token not found")
    },
    120_000,
  )

  it(
    "lock refuses the account's token and session on the very next request and closes the token's WebSocket 4442; unlock lets them in again at once",
    async () => {
      const { accountId, session, jwt } = await merchantWithToken("+15550004343")
      expect([await statusOf(`${api}/graphql`, jwt), await statusOf(`${api}/graphql`, session)]).toEqual([200, 200])
      const ws = await openSocket(`${api.replace(/^http/, "ws")}/graphql`, jwt)
      sockets.push(ws)

      const lock = await admin("lock", accountId)
      expect(lock.code).toBe(0)
      expect(JSON.parse(lock.stdout)).toEqual({ accountId, status: "LOCKED" })
      expect([await statusOf(`${api}/graphql`, jwt), await statusOf(`${api}/graphql`, session)]).toEqual([401, 401])
      await eventually("the locked account's socket is closed", () => !ws.isOpen(), 1000)
      expect(await ws.closed).toBe(4442)

      expect((await admin("unlock", accountId)).code).toBe(0)
      expect([await statusOf(`${api}/graphql`, jwt), await statusOf(`${api}/graphql`, session)]).toEqual([200, 200])
    },
    120_000,
  )
})
