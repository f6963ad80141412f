import { ipAllowed } from "@/domain/auth/ip-allowlist"

describe("IP allowlist", () => {
  it("allows everyone when the token has no allowlist", () => {
    expect(ipAllowed("203.0.113.9", undefined)).toBe(true)
    expect(ipAllowed(undefined, [])).toBe(true)
  })

  it.each([
    ["203.0.113.9", ["203.0.113.0/24"], true],
    ["203.0.114.9", ["203.0.113.0/24"], false],
    ["::ffff:127.0.0.1", ["127.0.0.1"], true],
    ["::ffff:127.0.0.1", ["127.0.0.0/8"], true],
    ["127.0.0.1", ["::ffff:127.0.0.1"], true],
    ["2001:db8::1", ["2001:db8::/32"], true],
    ["2001:db9::1", ["2001:db8::/32"], false],
    ["10.0.0.1", ["2001:db8::/32"], false],
    ["not-an-ip", ["0.0.0.0/0"], false],
  ])("%s in %j → %s", (ip, list, expected) => {
    expect(ipAllowed(ip, list)).toBe(expected)
  })

  it("refuses a caller without a known address when an allowlist is set", () => {
    expect(ipAllowed(undefined, ["127.0.0.1"])).toBe(false)
  })
})
