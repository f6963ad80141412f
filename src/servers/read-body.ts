// The body of a request read by hand, for the routes that skip express (the
// admin socket, the token hook): at most `maxBytes`, whatever Content-Length
// says. Past that nothing more is kept, the answer is marked `Connection:
// close`, and the caller answers 413 once the rest has arrived: the body is read to its end
// (up to DRAIN_BYTES more, within DRAIN_MS) and thrown away before the answer,
// so a client still sending a chunked body gets the 413 rather than a broken
// pipe, and no connection is reused in the middle of a request. A body larger
// still, or slower, is cut; a Content-Length above that is answered at once.
import type { IncomingMessage, ServerResponse } from "node:http"

const DRAIN_BYTES = 1024 * 1024
const DRAIN_MS = 5_000

export const readBody = (req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<string | "too large"> =>
  new Promise((resolve, reject) => {
    // An oversized request: its connection is not kept for another.
    const tooLarge = () => {
      if (!res.headersSent) res.setHeader("connection", "close")
      resolve("too large")
    }
    if (Number(req.headers["content-length"] ?? 0) > maxBytes + DRAIN_BYTES) {
      tooLarge()
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
      if (over) tooLarge()
      else resolve(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8"))
    })
    // Cut (above) or gone: the caller's answer goes nowhere, but it is decided.
    req.on("close", () => {
      clearTimeout(timer)
      if (over) tooLarge()
    })
    req.on("error", reject)
  })

export const isJsonContentType = (req: IncomingMessage) => /^application\/json(;|$)/i.test(req.headers["content-type"] ?? "")
