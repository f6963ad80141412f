// The one rule for "who is calling": the client address of an HTTP request and
// of a WebSocket upgrade request alike. Everything that uses an IP (a token's
// IP allowlist, the anonymous rate-limit key, the audit and usage IP, the
// GraphQL context, logs) takes it from here, so the transports cannot disagree.
//
// By default no proxy is trusted and the socket's peer is the client: an
// X-Forwarded-For header is then ignored, whoever sends it. With TRUST_PROXY
// (IPs and CIDRs of the reverse proxies in front of the API) proxy-addr walks
// the chain from the socket leftwards through X-Forwarded-For and stops at the
// first hop that is not a trusted proxy: the rightmost untrusted address. A hop
// a trusted proxy appended cannot be forged by the client; anything to its left
// can, and is never read.
import type { IncomingMessage } from "node:http"
import ipaddr from "ipaddr.js"
import proxyAddr from "proxy-addr"

export type ClientAddressOf = (req: IncomingMessage) => string | undefined

/** "::ffff:203.0.113.7" (IPv4 on a dual-stack socket) → "203.0.113.7"; anything else as it is. */
const normalized = (ip: string | undefined): string | undefined => {
  if (!ip || !ipaddr.isValid(ip)) return ip || undefined
  const addr = ipaddr.parse(ip)
  if (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress()) return (addr as ipaddr.IPv6).toIPv4Address().toString()
  return addr.toString()
}

/** The client address of a request, under the given trusted proxies (none: the socket's peer). */
export const clientAddressResolver = (trustedProxies: readonly string[]): ClientAddressOf => {
  if (trustedProxies.length === 0) return (req) => normalized(req.socket.remoteAddress)
  const trust = proxyAddr.compile([...trustedProxies])
  return (req) => {
    // proxy-addr reads the socket's address; a socket already gone has none.
    if (!req.socket.remoteAddress) return undefined
    return normalized(proxyAddr(req, trust))
  }
}

/** Where the HTTP pipeline keeps the address it decided once per request (express's res.locals). */
export const clientIpOf = (res: { locals: Record<string, unknown> }): string | undefined =>
  res.locals.clientIp as string | undefined
