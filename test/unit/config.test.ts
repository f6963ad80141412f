import { readFileSync } from "node:fs"
import { join } from "node:path"
import { CONFIG_VARIABLES, ConfigError, loadConfig } from "@/config"
import { repoRoot } from "@/stack/paths"

const base = { TOKEN_HOOK_SECRET: "x".repeat(32), FLASH_DEV_MODE: "true" }

const errorOf = (env: Record<string, string>) => {
  try {
    loadConfig(env)
  } catch (e) {
    return e
  }
  throw new Error("expected a ConfigError")
}

describe("config", () => {
  it("reads the embedded defaults when only the hook secret is given in dev mode", () => {
    const c = loadConfig(base)
    expect(c.api.port).toBe(4012)
    expect(c.hydra.tokenEndpoint).toBe("http://127.0.0.1:4444/oauth2/token")
    expect(c.mongodbUri).toBe("mongodb://127.0.0.1:27017/flash")
    expect(c.redis).toBeUndefined()
    expect(c.ledgerHeadTtlSeconds).toBe(5)
    expect(c.session.issuer).toBe("http://127.0.0.1:4012/dev")
  })

  it("names the missing variable when the token hook secret is absent", () => {
    const e = errorOf({ FLASH_DEV_MODE: "true" })
    expect(e).toBeInstanceOf(ConfigError)
    expect((e as Error).message).toMatch(/TOKEN_HOOK_SECRET/)
  })

  it("names the variable that holds a bad value", () => {
    expect((errorOf({ ...base, API_PORT: "99999" }) as Error).message).toMatch(/API_PORT/)
    expect((errorOf({ ...base, MONGODB_URI: "http://x" }) as Error).message).toMatch(/MONGODB_URI/)
    expect((errorOf({ ...base, REDIS_URL: "localhost:6379" }) as Error).message).toMatch(/REDIS_URL/)
    expect((errorOf({ ...base, LEDGER_HEAD_TTL_SECONDS: "-1" }) as Error).message).toMatch(/LEDGER_HEAD_TTL_SECONDS/)
    expect((errorOf({ ...base, LEDGER_HEAD_TTL_SECONDS: "5m" }) as Error).message).toMatch(/LEDGER_HEAD_TTL_SECONDS/)
  })

  it("flags secrets for rotation after 90 days unless API_TOKEN_ROTATION_DUE_DAYS says otherwise", () => {
    expect(loadConfig(base).apiTokens.rotationDueDays).toBe(90)
    expect(loadConfig({ ...base, API_TOKEN_ROTATION_DUE_DAYS: "30" }).apiTokens.rotationDueDays).toBe(30)
  })

  it("refuses a rotation age that is not a whole number of days from 1 to 3650, naming the variable and the range", () => {
    for (const bad of ["0", "-5", "1.5", "ninety", "3651"]) {
      const message = (errorOf({ ...base, API_TOKEN_ROTATION_DUE_DAYS: bad }) as Error).message
      expect(message).toContain("API_TOKEN_ROTATION_DUE_DAYS: must be a whole number of days from 1 to 3650")
    }
  })

  it("refuses the chaos-test creation pause outside NODE_ENV=test with dev mode", () => {
    const hook = { FLASH_TEST_PAUSE_CREATION_OF: "chaos-" }
    expect((errorOf({ ...base, ...hook }) as Error).message).toMatch(/FLASH_TEST_PAUSE_CREATION_OF/)
    expect((errorOf({ ...base, ...hook, NODE_ENV: "production", FLASH_DEV_MODE: "false", SESSION_ISSUER: "https://a", SESSION_JWKS_URL: "https://a/jwks" }) as Error).message).toMatch(
      /FLASH_TEST_PAUSE_CREATION_OF/,
    )
    expect(loadConfig(base).testHooks.pauseCreationOf).toBeUndefined()
    expect(loadConfig({ ...base, ...hook, NODE_ENV: "test" }).testHooks.pauseCreationOf).toBe("chaos-")
  })

  it("refuses dev mode in production", () => {
    expect((errorOf({ ...base, NODE_ENV: "production" }) as Error).message).toMatch(/FLASH_DEV_MODE/)
  })

  it("requires the gateway's session issuer outside dev mode", () => {
    expect((errorOf({ TOKEN_HOOK_SECRET: "x".repeat(32) }) as Error).message).toMatch(/SESSION_ISSUER/)
  })

  it("refuses symmetric and 'none' algorithms in the verifier allow-lists", () => {
    expect((errorOf({ ...base, HYDRA_ALGORITHMS: "HS256" }) as Error).message).toMatch(/HYDRA_ALGORITHMS/)
    expect((errorOf({ ...base, SESSION_ALGORITHMS: "none" }) as Error).message).toMatch(/SESSION_ALGORITHMS/)
  })

  it("treats an empty variable as unset", () => {
    expect(loadConfig({ ...base, API_PORT: "" }).api.port).toBe(4012)
  })

  it("documents every variable it reads in the settings table of docs/configuration.md, and nothing else there", () => {
    const doc = readFileSync(join(repoRoot, "docs", "configuration.md"), "utf8")
    const start = doc.indexOf("\n## Every setting of the API\n")
    expect(start).toBeGreaterThanOrEqual(0)
    const end = doc.indexOf("\n## ", start + 1)
    const section = doc.slice(start, end === -1 ? undefined : end)
    const rows = section.split("\n").filter((l) => l.startsWith("| `"))
    const documented = rows.flatMap((row) => [...row.split("|")[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!))
    expect([...documented].sort()).toEqual([...CONFIG_VARIABLES].sort())
  })
})
