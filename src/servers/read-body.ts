// The body of a request read by hand, for the routes that skip express (the
// admin socket, the token hook): at most `maxBytes`, whatever Content-Length
// says; past that the request is cut and the caller answers 413.
import type { IncomingMessage } from "node:http"

export const readBody = (req: IncomingMessage, maxBytes: number): Promise<string | "too large"> =>
  new Promise((resolve, reject) => {
    if (Number(req.headers["content-length"] ?? 0) > maxBytes) {
      resolve("too large")
      return
    }
    let size = 0
    const chunks: Buffer[] = []
    req.on("data", (c: Buffer) => {
      size += c.length
      if (size > maxBytes) {
        resolve("too large")
        req.destroy()
      } else chunks.push(c)
    })
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })

export const isJsonContentType = (req: IncomingMessage) => /^application\/json(;|$)/i.test(req.headers["content-type"] ?? "")
