// The admin socket's wire: an operator tool on the API's machine (the admin CLI)
// POSTs one invalidation event, as JSON, to `POST /invalidations` on the API's
// Unix socket (ADMIN_SOCKET, mode 0600); the API applies it to its local bus at
// once, exactly as a Redis message. The same three event shapes as the Redis
// channel, validated strictly: anything else is refused with a stable code.
import { request } from "node:http"
import { z } from "zod"
import { checkedToAccountId } from "@/domain/accounts"
import { checkedToApiTokenId } from "@/domain/api-tokens"
import type { InvalidationEvent } from "./index"

export const ADMIN_SOCKET_INVALIDATIONS_PATH = "/invalidations"
/** The largest event is under 100 bytes; a body over this is refused unread. */
export const ADMIN_SOCKET_MAX_BODY_BYTES = 1024

const tokenId = z.string().refine((s) => !(checkedToApiTokenId(s) instanceof Error), "must be an API token id")
const accountId = z.string().refine((s) => !(checkedToAccountId(s) instanceof Error), "must be an account id")
const AdminInvalidationEvent = z.union([
  z.strictObject({ tokenId, revoked: z.literal(true).optional() }),
  z.strictObject({ accountId }),
])

/** Each refusal of the admin socket, with its HTTP status. */
export const ADMIN_SOCKET_ERRORS = {
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  INVALID_JSON: 400,
  INVALID_INVALIDATION_EVENT: 400,
} as const satisfies Record<string, number>
export type AdminSocketErrorCode = keyof typeof ADMIN_SOCKET_ERRORS

export const checkedToAdminInvalidationEvent = (raw: unknown): InvalidationEvent | { code: "INVALID_INVALIDATION_EVENT"; message: string } => {
  const parsed = AdminInvalidationEvent.safeParse(raw)
  if (parsed.success) {
    const e = parsed.data
    return "accountId" in e ? { accountId: e.accountId } : e.revoked ? { tokenId: e.tokenId, revoked: true } : { tokenId: e.tokenId }
  }
  return {
    code: "INVALID_INVALIDATION_EVENT",
    message: 'expected exactly {"tokenId"}, {"tokenId","revoked":true} or {"accountId"}',
  }
}

/** No API listens on the socket (it is not running, or runs without ADMIN_SOCKET). */
export class AdminSocketUnreachableError extends Error {
  override name = "AdminSocketUnreachableError"
}
/** The API answered, and refused the event. */
export class AdminSocketRefusedError extends Error {
  override name = "AdminSocketRefusedError"
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(`the admin socket refused the event: ${status} ${code}`)
  }
}

/** Delivers one event to the API listening on `socketPath`; resolves once it has applied it. */
export const notifyAdminSocket = (
  socketPath: string,
  event: InvalidationEvent,
  timeoutMs = 3000,
): Promise<true | AdminSocketUnreachableError | AdminSocketRefusedError> =>
  new Promise((resolve) => {
    const body = JSON.stringify(event)
    const req = request(
      {
        socketPath,
        path: ADMIN_SOCKET_INVALIDATIONS_PATH,
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (res) => {
        let text = ""
        res.setEncoding("utf8")
        res.on("data", (c: string) => (text += c))
        res.on("end", () => {
          if (res.statusCode === 200) return resolve(true)
          let code = "UNKNOWN"
          try {
            code = String((JSON.parse(text) as { error?: { code?: unknown } }).error?.code ?? code)
          } catch {
            // not our server
          }
          resolve(new AdminSocketRefusedError(res.statusCode ?? 0, code))
        })
      },
    )
    req.on("timeout", () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)))
    req.on("error", (e: NodeJS.ErrnoException) => resolve(new AdminSocketUnreachableError(`${socketPath}: ${e.code ?? e.message}`)))
    req.end(body)
  })
