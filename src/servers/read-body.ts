// The body of a request read by hand, for the routes that skip express (the
// admin socket, the token hook): at most `maxBytes`, whatever Content-Length
// says. Past that nothing more is kept, and the caller answers 413 with
// `Connection: close` once the rest has arrived: the body is read to its end
// (up to DRAIN_BYTES more, within DRAIN_MS) and thrown away before the answer,
// so a client still sending a chunked body gets the 413 rather than a broken
// pipe, and no connection is reused in the middle of a request. A body larger
// still, or slower, is cut; a Content-Length above that is answered at once.
import type { IncomingMessage } from "node:http"

const DRAIN_BYTES = 1024 * 1024
const DRAIN_MS = 5_000

export const readBody = (req: IncomingMessage, maxBytes: number): Promise<string | "too large"> =>
  new Promise((resolve, reject) => {
    if (Number(req.headers["content-length"] ?? 0) > maxBytes + DRAIN_BYTES) {
      resolve("too large")
      return
    }
    let size = 0
    let over = false
    let timer: NodeJS.Timeout | undefined
    const chunks: Buffer[] = []
    req.on("data", (c: Buffer) => {
      size += c.length
      if (!over && size <= maxBytes) {
        chunks.push(c)
        return
      }
      if (!over) {
        over = true
        chunks.length = 0
        timer = setTimeout(() => req.destroy(), DRAIN_MS)
      }
      if (size > maxBytes + DRAIN_BYTES) req.destroy()
    })
    req.on("end", () => {
      clearTimeout(timer)
      if (over) resolve("too large")
      else resolve(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8"))
    })
    // Cut (above) or gone: the caller's answer goes nowhere, but it is decided.
    req.on("close", () => {
      clearTimeout(timer)
      if (over) resolve("too large")
    })
    req.on("error", reject)
  })

export const isJsonContentType = (req: IncomingMessage) => /^application\/json(;|$)/i.test(req.headers["content-type"] ?? "")
