// Is a caller's address inside a token's allowlist of IPs and CIDR ranges?
import ipaddr from "ipaddr.js"

const normalize = (ip: string) => {
  const addr = ipaddr.parse(ip)
  // "::ffff:127.0.0.1" (how Node reports IPv4 on a dual-stack socket) is 127.0.0.1.
  return addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress()
    ? (addr as ipaddr.IPv6).toIPv4Address()
    : addr
}

export const ipAllowed = (ip: string | undefined, allowlist: readonly string[] | undefined): boolean => {
  if (!allowlist || allowlist.length === 0) return true
  if (!ip || !ipaddr.isValid(ip)) return false
  const addr = normalize(ip)
  return allowlist.some((entry) => {
    try {
      if (entry.includes("/")) {
        const [range, bits] = ipaddr.parseCIDR(entry)
        const r = range.kind() === "ipv6" && (range as ipaddr.IPv6).isIPv4MappedAddress() ? (range as ipaddr.IPv6).toIPv4Address() : range
        return r.kind() === addr.kind() && addr.match([r, r.kind() === range.kind() ? bits : bits - 96])
      }
      const single = normalize(entry)
      return single.kind() === addr.kind() && single.toNormalizedString() === addr.toNormalizedString()
    } catch {
      return false
    }
  })
}

/**
 * TRUST_PROXY's text → its entries, or the entry that is not an IP or a CIDR.
 * Named ranges such as "loopback" are refused on purpose: trusting every
 * loopback caller is how the header was spoofed before.
 */
export const parseTrustedProxies = (raw: string | undefined): string[] | { invalid: string } => {
  const entries = (raw ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)
  for (const entry of entries) {
    const valid = entry.includes("/") ? isCidr(entry) : ipaddr.isValid(entry)
    if (!valid) return { invalid: entry }
  }
  return entries
}

const isCidr = (entry: string) => {
  try {
    ipaddr.parseCIDR(entry)
    return true
  } catch {
    return false
  }
}
