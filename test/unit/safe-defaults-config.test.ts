// The configuration's safe defaults (issue 15, item 4): what an operator gets
// by setting nothing.
import { ConfigError, loadConfig } from "@/config"

const base = { TOKEN_HOOK_SECRET: "x".repeat(32), FLASH_DEV_MODE: "true" }

describe("safe defaults", () => {
  it("turns introspection off unless GRAPHQL_INTROSPECTION is true", () => {
    expect(loadConfig(base).graphql.introspection).toBe(false)
    expect(loadConfig({ ...base, GRAPHQL_INTROSPECTION: "" }).graphql.introspection).toBe(false)
    expect(loadConfig({ ...base, GRAPHQL_INTROSPECTION: "false" }).graphql.introspection).toBe(false)
    expect(loadConfig({ ...base, GRAPHQL_INTROSPECTION: "true" }).graphql.introspection).toBe(true)
    expect(() => loadConfig({ ...base, GRAPHQL_INTROSPECTION: "on" })).toThrow(/GRAPHQL_INTROSPECTION/)
  })

  it("serves metrics on loopback port 9464 by default; 0 turns them off; a bad port names the variable", () => {
    expect(loadConfig(base).metrics).toEqual({ host: "127.0.0.1", port: 9464 })
    expect(loadConfig({ ...base, METRICS_PORT: "0" }).metrics.port).toBe(0)
    expect(loadConfig({ ...base, METRICS_HOST: "0.0.0.0", METRICS_PORT: "9100" }).metrics).toEqual({ host: "0.0.0.0", port: 9100 })
    expect(() => loadConfig({ ...base, METRICS_PORT: "70000" })).toThrow(ConfigError)
    expect(() => loadConfig({ ...base, METRICS_PORT: "70000" })).toThrow(/METRICS_PORT/)
  })

  it("accepts only ES256 for API-token JWTs by default: not RS256, the algorithm of Hydra's OpenID key", () => {
    expect(loadConfig(base).hydra.algorithms).toEqual(["ES256"])
    expect(loadConfig({ ...base, HYDRA_ALGORITHMS: "ES256,RS256" }).hydra.algorithms).toEqual(["ES256", "RS256"])
  })

  it("checks no audience unless JWT_AUDIENCE is set", () => {
    expect(loadConfig(base).jwt.audience).toBeUndefined()
    expect(loadConfig({ ...base, JWT_AUDIENCE: "https://api.flash.example" }).jwt.audience).toBe("https://api.flash.example")
  })
})
