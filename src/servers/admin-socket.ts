// The API's admin socket (ADMIN_SOCKET): a Unix socket, mode 0600, so only the
// OS user the API runs as can reach it (no network exposure, no secret). The
// admin CLI posts each invalidation it makes there, so the API evicts its
// caches and re-checks its WebSockets at once, with or without Redis. See
// src/services/invalidation/admin-socket.ts for the wire.
import { createServer, IncomingMessage, ServerResponse } from "node:http"
import { connect } from "node:net"
import { chmodSync, lstatSync, unlinkSync } from "node:fs"
import type { InvalidationEvent } from "@/services/invalidation"
import {
  ADMIN_SOCKET_ERRORS,
  ADMIN_SOCKET_INVALIDATIONS_PATH,
  ADMIN_SOCKET_MAX_BODY_BYTES,
  AdminSocketErrorCode,
  checkedToAdminInvalidationEvent,
} from "@/services/invalidation/admin-socket"
import type { Logger } from "@/services/logger"
import { isJsonContentType, readBody } from "./read-body"

export type AdminSocket = { path: string; close: () => Promise<void> }

export class AdminSocketInUseError extends Error {
  override name = "AdminSocketInUseError"
}

/** True when a process accepts connections on the socket file. */
const answers = (path: string) =>
  new Promise<boolean>((resolve) => {
    const s = connect(path)
    s.once("connect", () => {
      s.destroy()
      resolve(true)
    })
    s.once("error", () => resolve(false))
  })

/**
 * A socket file nobody listens on is what a killed API leaves: removed. A live
 * one (another API given the same path) or any other kind of file is left alone.
 */
const removeStaleSocket = async (path: string) => {
  let stat
  try {
    stat = lstatSync(path)
  } catch {
    return
  }
  if (!stat.isSocket()) throw new AdminSocketInUseError(`ADMIN_SOCKET ${path} exists and is not a socket`)
  if (await answers(path)) throw new AdminSocketInUseError(`ADMIN_SOCKET ${path}: another process listens there`)
  unlinkSync(path)
}

const refuse = (res: ServerResponse, code: AdminSocketErrorCode, message: string) => {
  res.writeHead(ADMIN_SOCKET_ERRORS[code], { "content-type": "application/json" })
  res.end(JSON.stringify({ error: { code, message } }))
}

export const startAdminSocket = async (o: {
  path: string
  /** The local invalidation bus's `receive`. */
  deliver: (event: InvalidationEvent) => void
  logger: Logger
}): Promise<AdminSocket> => {
  await removeStaleSocket(o.path)

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.url !== ADMIN_SOCKET_INVALIDATIONS_PATH) return refuse(res, "NOT_FOUND", `only ${ADMIN_SOCKET_INVALIDATIONS_PATH} exists`)
    if (req.method !== "POST") return refuse(res, "METHOD_NOT_ALLOWED", "only POST")
    if (!isJsonContentType(req)) {
      return refuse(res, "UNSUPPORTED_MEDIA_TYPE", "content-type must be application/json")
    }
    const body = await readBody(req, res, ADMIN_SOCKET_MAX_BODY_BYTES)
    if (body === "too large") return refuse(res, "PAYLOAD_TOO_LARGE", `at most ${ADMIN_SOCKET_MAX_BODY_BYTES} bytes`)
    let raw: unknown
    try {
      raw = JSON.parse(body)
    } catch {
      return refuse(res, "INVALID_JSON", "the body is not JSON")
    }
    const event = checkedToAdminInvalidationEvent(raw)
    if ("code" in event) return refuse(res, event.code, event.message)
    o.deliver(event)
    o.logger.info({ event }, "invalidation received on the admin socket")
    res.writeHead(200, { "content-type": "application/json" })
    res.end(JSON.stringify({ delivered: event }))
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      o.logger.warn({ err: e instanceof Error ? e.message : String(e) }, "admin socket request failed")
      if (!res.headersSent) res.writeHead(500).end()
    })
  })
  server.headersTimeout = 5_000
  server.requestTimeout = 5_000

  // The socket is created with mode 0600, not chmod-ed after a window in which
  // another user could connect: the umask is narrowed around the bind.
  await new Promise<void>((resolve, reject) => {
    const previous = process.umask(0o177)
    server.once("error", reject)
    try {
      server.listen(o.path, () => {
        server.off("error", reject)
        resolve()
      })
    } finally {
      process.umask(previous)
    }
  })
  chmodSync(o.path, 0o600)
  o.logger.info({ path: o.path }, "admin socket listening")

  return {
    path: o.path,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      try {
        unlinkSync(o.path)
      } catch {
        // node removed it on close
      }
    },
  }
}
