// The body of a request read by hand, for the routes that skip express (the
// admin socket, the token hook): at most `maxBytes`, whatever Content-Length
// says. Past that nothing more is kept and the caller answers 413 with
// `Connection: close`; the socket is not cut first, so the answer reaches a
// client that sent a chunked body without a length, and no client reuses a
// connection whose request was not read to its end.
import type { IncomingMessage } from "node:http"

export const readBody = (req: IncomingMessage, maxBytes: number): Promise<string | "too large"> =>
  new Promise((resolve, reject) => {
    if (Number(req.headers["content-length"] ?? 0) > maxBytes) {
      resolve("too large")
      return
    }
    let size = 0
    const chunks: Buffer[] = []
    const onData = (c: Buffer) => {
      size += c.length
      if (size <= maxBytes) {
        chunks.push(c)
        return
      }
      req.off("data", onData)
      req.pause()
      chunks.length = 0
      resolve("too large")
    }
    req.on("data", onData)
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })

export const isJsonContentType = (req: IncomingMessage) => /^application\/json(;|$)/i.test(req.headers["content-type"] ?? "")
