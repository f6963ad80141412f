import { execFile } from "node:child_process"
import { join } from "node:path"
import { promisify } from "node:util"
import { ApiTokensDeps, createApiToken } from "@/app/api-tokens"
import { exchange, newMerchant, setUp, stack, tearDown, unwrap } from "./helpers"

const run = promisify(execFile)
const root = join(__dirname, "..", "..", "..")
// The same environment as the stack's API process (Mongo, Hydra admin, Redis, secrets).
const admin = async (...args: string[]) => {
  try {
    const r = await run(process.execPath, ["--import", "tsx", join(root, "src", "servers", "admin-cli.ts"), ...args], {
      cwd: root,
      env: { ...process.env, ...stack.apiEnv, LOG_LEVEL: "silent" },
      timeout: 50_000,
    })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string }
    return { code: x.code, stdout: x.stdout, stderr: x.stderr }
  }
}

let deps: ApiTokensDeps
beforeAll(async () => {
  deps = await setUp()
})
afterAll(tearDown)

describe("npm run admin", () => {
  it("lists an account's tokens without secrets and revokes one", async () => {
    const m = await newMerchant()
    const c = unwrap(await createApiToken({ caller: m.caller, name: "cli", scopes: ["read"] }, deps))

    const list = await admin("list", m.account.id)
    expect(list.code).toBe(0)
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ id: c.token.id, name: "cli", clientId: c.clientId, status: "ACTIVE" })])
    expect(list.stdout).not.toContain(c.clientSecret)

    const revoke = await admin("revoke", c.token.id)
    expect(revoke.code).toBe(0)
    expect(JSON.parse(revoke.stdout)).toMatchObject({ id: c.token.id, status: "REVOKED" })
    expect((await exchange(c.clientId, c.clientSecret)).status).toBe(401)
  })

  it("audit <accountId> prints the account's audit trail, without secrets", async () => {
    const m = await newMerchant()
    const c = unwrap(await createApiToken({ caller: m.caller, name: "audit-cli", scopes: ["read"] }, deps))
    const audit = await admin("audit", m.account.id)
    expect(audit.code).toBe(0)
    expect(JSON.parse(audit.stdout)).toEqual([expect.objectContaining({ type: "API_TOKEN_CREATED", tokenId: c.token.id, accountId: m.account.id })])
    expect(audit.stdout).not.toContain(c.clientSecret)
    expect((await admin("audit")).code).toBe(2)
  })

  it("runs cleanup and reconcile and prints their reports", async () => {
    const [cleanup, reconcile] = [await admin("cleanup"), await admin("reconcile")]
    expect(cleanup.code).toBe(0)
    expect(JSON.parse(cleanup.stdout)).toHaveProperty("expiredTokensCleaned")
    expect(reconcile.code).toBe(0)
    expect(JSON.parse(reconcile.stdout)).toHaveProperty("orphanClientsDeleted")
  })

  it("prints its usage and exits 2 on a bad command", async () => {
    const r = await admin("frobnicate")
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("usage: npm run admin --")
  })
})
