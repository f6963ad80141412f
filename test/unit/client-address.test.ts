import type { IncomingMessage } from "node:http"
import { ConfigError, loadConfig } from "@/config"
import { parseTrustedProxies } from "@/domain/auth/ip-allowlist"
import { clientAddressResolver } from "@/servers/client-address"

const request = (remoteAddress: string | undefined, forwardedFor?: string) =>
  ({
    socket: { remoteAddress },
    headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor },
  }) as unknown as IncomingMessage

describe("client address", () => {
  describe("with no trusted proxy (the default)", () => {
    const addressOf = clientAddressResolver([])

    it("is the socket's peer, whatever X-Forwarded-For says", () => {
      expect(addressOf(request("127.0.0.1", "203.0.113.7"))).toBe("127.0.0.1")
      expect(addressOf(request("198.51.100.4", "203.0.113.7, 10.0.0.1"))).toBe("198.51.100.4")
    })

    it("reports an IPv4 peer of a dual-stack socket as plain IPv4", () => {
      expect(addressOf(request("::ffff:127.0.0.1"))).toBe("127.0.0.1")
      expect(addressOf(request("::1"))).toBe("::1")
    })

    it("is unknown when the socket has no address any more", () => {
      expect(addressOf(request(undefined, "203.0.113.7"))).toBeUndefined()
    })
  })

  describe("behind a trusted proxy", () => {
    const addressOf = clientAddressResolver(["127.0.0.1", "10.1.0.0/16"])

    it("honours the header that a listed proxy sends", () => {
      expect(addressOf(request("127.0.0.1", "203.0.113.7"))).toBe("203.0.113.7")
      expect(addressOf(request("::ffff:127.0.0.1", "203.0.113.7"))).toBe("203.0.113.7")
      expect(addressOf(request("10.1.2.3", "203.0.113.8"))).toBe("203.0.113.8")
    })

    it("takes the rightmost untrusted hop, so a client cannot prepend its own address", () => {
      // The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the real peer.
      expect(addressOf(request("127.0.0.1", "1.2.3.4, 203.0.113.7"))).toBe("203.0.113.7")
      // Two trusted proxies in a row: both skipped.
      expect(addressOf(request("127.0.0.1", "1.2.3.4, 203.0.113.7, 10.1.0.9"))).toBe("203.0.113.7")
    })

    it("ignores the header from a caller that is not a listed proxy", () => {
      expect(addressOf(request("198.51.100.4", "203.0.113.7"))).toBe("198.51.100.4")
      expect(addressOf(request("127.0.0.2", "203.0.113.7"))).toBe("127.0.0.2")
    })

    it("is the proxy itself when the proxy sent no header", () => {
      expect(addressOf(request("127.0.0.1"))).toBe("127.0.0.1")
    })
  })
})

describe("TRUST_PROXY", () => {
  const base = { TOKEN_HOOK_SECRET: "x".repeat(32), FLASH_DEV_MODE: "true" }

  it("trusts no proxy when unset", () => {
    expect(loadConfig(base).trustedProxies).toEqual([])
  })

  it("reads comma-separated IPs and CIDRs, IPv4 and IPv6", () => {
    expect(loadConfig({ ...base, TRUST_PROXY: "127.0.0.1, 10.0.0.0/8,::1,fd00::/8" }).trustedProxies).toEqual([
      "127.0.0.1",
      "10.0.0.0/8",
      "::1",
      "fd00::/8",
    ])
  })

  it.each(["loopback", "10.0.0.0/33", "nginx", "127.0.0.1,,bad"])("refuses %j with an error naming the variable", (raw) => {
    expect(() => loadConfig({ ...base, TRUST_PROXY: raw })).toThrow(ConfigError)
    expect(() => loadConfig({ ...base, TRUST_PROXY: raw })).toThrow(/TRUST_PROXY/)
  })

  it("names the entry that is neither an IP nor a CIDR", () => {
    expect(parseTrustedProxies("127.0.0.1, proxy.local")).toEqual({ invalid: "proxy.local" })
  })
})
