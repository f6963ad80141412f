// loadSettings: a tool's few settings, validated by the API's own rules, and
// nothing else asked for (the admin CLI's commands use it).
import { ConfigError, loadSettings } from "@/config"

const errorOf = (f: () => unknown) => {
  try {
    f()
  } catch (e) {
    return e as Error
  }
  throw new Error("expected a ConfigError")
}

describe("loadSettings", () => {
  const revoke = { purpose: "`npm run admin -- revoke`", required: ["MONGODB_URI", "HYDRA_ADMIN_URL"], optional: ["REDIS_URL", "ADMIN_SOCKET"] } as const

  it("names each missing required variable and the command that needs it, and applies no API default to it", () => {
    const e = errorOf(() => loadSettings({ HYDRA_ADMIN_URL: "http://127.0.0.1:4445" }, revoke))
    expect(e).toBeInstanceOf(ConfigError)
    expect(e.message).toContain("MONGODB_URI: is required by `npm run admin -- revoke` (not set)")
    expect(e.message).not.toContain("HYDRA_ADMIN_URL")
  })

  it("does not ask for TOKEN_HOOK_SECRET or anything else the caller did not name", () => {
    const s = loadSettings({ MONGODB_URI: "mongodb://127.0.0.1:27017/flash", HYDRA_ADMIN_URL: "http://127.0.0.1:4445/" }, revoke)
    expect(s).toEqual({ MONGODB_URI: "mongodb://127.0.0.1:27017/flash", HYDRA_ADMIN_URL: "http://127.0.0.1:4445" })
    expect(errorOf(() => loadSettings({}, { purpose: "`npm run admin -- list`", required: ["MONGODB_URI"] })).message).not.toContain("TOKEN_HOOK_SECRET")
  })

  it("checks each value by the API's rule for it, and counts an empty value as unset", () => {
    const e = errorOf(() =>
      loadSettings({ MONGODB_URI: "postgres://x", HYDRA_ADMIN_URL: "", ADMIN_SOCKET: "relative/admin.sock" }, revoke),
    )
    expect(e.message).toContain("MONGODB_URI: must start with mongodb:// or mongodb+srv://")
    expect(e.message).toContain("HYDRA_ADMIN_URL: is required by `npm run admin -- revoke` (not set)")
    expect(e.message).toContain("ADMIN_SOCKET: must be an absolute path")
    expect(errorOf(() => loadSettings({ ADMIN_SOCKET: `/${"x".repeat(107)}` }, { purpose: "t", required: [], optional: ["ADMIN_SOCKET"] })).message).toContain(
      "ADMIN_SOCKET: must be at most 107 bytes",
    )
  })

  it("keeps the API's default of an optional variable", () => {
    expect(loadSettings({}, { purpose: "t", required: [], optional: ["REDIS_KEY_PREFIX", "REDIS_URL"] })).toEqual({ REDIS_KEY_PREFIX: "flash:" })
  })
})
