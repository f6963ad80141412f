// What each admin command asks for: only its own settings, from the environment
// first and then from the dev stack's settings file, with a missing one named
// together with the command (exit 2). Never a secret.
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { writeDevStackSettings } from "@/config/dev-stack-settings"
import { repoRoot } from "@/stack/paths"
import { testStack } from "../harness/stack-state"

const run = promisify(execFile)
const ACCOUNT = "0b8e7a52-41c3-4d5e-8f60-718293a4b5c6"

describe("the admin CLI's settings", () => {
  const empty = mkdtempSync(join(tmpdir(), "flash-admin-empty-"))
  const withStack = mkdtempSync(join(tmpdir(), "flash-admin-stack-"))
  afterAll(() => {
    rmSync(empty, { recursive: true, force: true })
    rmSync(withStack, { recursive: true, force: true })
  })
  const admin = async (env: Record<string, string>, ...args: string[]) => {
    try {
      const r = await run(process.execPath, ["--import", "tsx", join(repoRoot, "src", "servers", "admin-cli.ts"), ...args], {
        cwd: repoRoot,
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
        timeout: 50_000,
      })
      return { code: 0, stdout: r.stdout, stderr: r.stderr }
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string }
      return { code: x.code, stdout: x.stdout, stderr: x.stderr }
    }
  }

  it("the settings file holds the API's addresses and none of its secrets, readable by its owner only", () => {
    const file = writeDevStackSettings(withStack, {
      ...testStack().apiEnv,
      TOKEN_HOOK_SECRET: "hook-secret-that-must-not-leak-0123456789",
      SECRETS_SYSTEM: "system-secret-that-must-not-leak",
    })
    const text = readFileSync(file, "utf8")
    expect(text).not.toContain("must-not-leak")
    expect(Object.keys((JSON.parse(text) as { settings: object }).settings)).toEqual(expect.arrayContaining(["MONGODB_URI", "HYDRA_ADMIN_URL"]))
    expect(statSync(file).mode & 0o777).toBe(0o600)
  })

  it("an address with credentials is withheld from the file, and the CLI says to set it in the environment", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flash-admin-creds-"))
    try {
      const file = writeDevStackSettings(dir, { MONGODB_URI: "mongodb://flash:pw-must-not-leak@127.0.0.1:27017/flash", HYDRA_ADMIN_URL: "http://127.0.0.1:4445" })
      const text = readFileSync(file, "utf8")
      expect(text).not.toContain("pw-must-not-leak")
      expect(JSON.parse(text)).toMatchObject({ settings: { HYDRA_ADMIN_URL: "http://127.0.0.1:4445" }, withheld: ["MONGODB_URI"] })
      const r = await admin({ FLASH_DATA_DIR: dir }, "list", ACCOUNT)
      expect(r.code).toBe(2)
      expect(r.stderr).toContain("MONGODB_URI: is required by `npm run admin -- list` (not set)")
      expect(r.stderr).toContain(`${file} withholds MONGODB_URI: it carries credentials; set it in the environment`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("list without MONGODB_URI anywhere: exit 2, naming the variable and the command, and asking for no secret", async () => {
    const r = await admin({ FLASH_DATA_DIR: empty }, "list", ACCOUNT)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("MONGODB_URI: is required by `npm run admin -- list` (not set)")
    expect(r.stderr).toContain(`no settings of a dev stack in ${empty}`)
    expect(r.stderr).not.toContain("TOKEN_HOOK_SECRET")
  })

  it("cleanup also needs HYDRA_ADMIN_URL, and names both", async () => {
    const r = await admin({ FLASH_DATA_DIR: empty }, "cleanup")
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("MONGODB_URI: is required by `npm run admin -- cleanup` (not set)")
    expect(r.stderr).toContain("HYDRA_ADMIN_URL: is required by `npm run admin -- cleanup` (not set)")
    expect(r.stderr).not.toContain("TOKEN_HOOK_SECRET")
  })

  it("takes what the environment leaves unset from the stack's file, says so, and lets the environment win", async () => {
    const fromFile = await admin({ FLASH_DATA_DIR: withStack, LOG_LEVEL: "silent" }, "list", ACCOUNT)
    expect(fromFile).toMatchObject({ code: 0 })
    expect(JSON.parse(fromFile.stdout)).toEqual([])
    expect(fromFile.stderr).toContain(`read MONGODB_URI from ${join(withStack, "stack-settings.json")}`)

    const envWins = await admin({ FLASH_DATA_DIR: withStack, MONGODB_URI: "postgres://127.0.0.1/flash" }, "list", ACCOUNT)
    expect(envWins.code).toBe(2)
    expect(envWins.stderr).toContain("MONGODB_URI: must start with mongodb://")
    expect(envWins.stderr).not.toContain("read MONGODB_URI")
  })
})
