// The API's admin socket on a real Unix socket: mode 0600, strict input with a
// stable code for each refusal (and nothing delivered then), an accepted event
// applied to the local bus before the answer, and a stale socket file replaced.
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs"
import { request } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AdminSocket, AdminSocketInUseError, startAdminSocket } from "@/servers/admin-socket"
import { createLocalInvalidationBus, InvalidationEvent } from "@/services/invalidation"
import { AdminSocketRefusedError, AdminSocketUnreachableError, notifyAdminSocket } from "@/services/invalidation/admin-socket"
import { createLogger } from "@/services/logger"

const TOKEN = "6f1c1f4e-2a59-4c4b-9a57-0c1d2e3f4a5b"
const ACCOUNT = "0b8e7a52-41c3-4d5e-8f60-718293a4b5c6"

const send = (socketPath: string, o: { method?: string; path?: string; contentType?: string; body?: string }) =>
  new Promise<{ status: number; code?: string }>((resolve, reject) => {
    const req = request(
      { socketPath, method: o.method ?? "POST", path: o.path ?? "/invalidations", headers: { "content-type": o.contentType ?? "application/json" } },
      (res) => {
        let text = ""
        res.on("data", (c: Buffer) => (text += c.toString()))
        res.on("end", () => {
          const parsed = text ? (JSON.parse(text) as { error?: { code: string } }) : {}
          resolve({ status: res.statusCode!, code: parsed.error?.code })
        })
      },
    )
    req.on("error", reject)
    req.end(o.body)
  })

describe("the admin socket", () => {
  const dir = mkdtempSync(join(tmpdir(), "flash-admin-socket-"))
  const path = join(dir, "admin.sock")
  const bus = createLocalInvalidationBus()
  const seen: InvalidationEvent[] = []
  bus.onInvalidated((e) => seen.push(e))
  let socket: AdminSocket
  beforeAll(async () => {
    socket = await startAdminSocket({ path, deliver: bus.receive, logger: createLogger("silent") })
  })
  afterAll(async () => {
    await socket?.close()
    rmSync(dir, { recursive: true, force: true })
  })
  beforeEach(() => void (seen.length = 0))

  it("is a socket only its owner may open (mode 0600)", () => {
    const s = statSync(path)
    expect(s.isSocket()).toBe(true)
    expect(s.mode & 0o777).toBe(0o600)
  })

  it("applies each of the three event shapes to the local bus before it answers", async () => {
    for (const event of [{ tokenId: TOKEN }, { tokenId: TOKEN, revoked: true as const }, { accountId: ACCOUNT }]) {
      expect(await notifyAdminSocket(path, event)).toBe(true)
    }
    expect(seen).toEqual([{ tokenId: TOKEN }, { tokenId: TOKEN, revoked: true }, { accountId: ACCOUNT }])
    expect(bus.isRevoked(TOKEN)).toBe(true)
  })

  it.each([
    ["a body that is not JSON", { body: "{tokenId" }, 400, "INVALID_JSON"],
    ["an unknown field", { body: JSON.stringify({ tokenId: TOKEN, scopes: ["read"] }) }, 400, "INVALID_INVALIDATION_EVENT"],
    ["both a token and an account", { body: JSON.stringify({ tokenId: TOKEN, accountId: ACCOUNT }) }, 400, "INVALID_INVALIDATION_EVENT"],
    ["a token id that is not one", { body: JSON.stringify({ tokenId: "x" }) }, 400, "INVALID_INVALIDATION_EVENT"],
    ["revoked other than true", { body: JSON.stringify({ tokenId: TOKEN, revoked: false }) }, 400, "INVALID_INVALIDATION_EVENT"],
    ["an array", { body: "[]" }, 400, "INVALID_INVALIDATION_EVENT"],
    ["a body over 1 KiB", { body: JSON.stringify({ tokenId: TOKEN, pad: "x".repeat(2000) }) }, 413, "PAYLOAD_TOO_LARGE"],
    ["another content type", { contentType: "text/plain", body: JSON.stringify({ tokenId: TOKEN }) }, 415, "UNSUPPORTED_MEDIA_TYPE"],
    ["another method", { method: "GET" }, 405, "METHOD_NOT_ALLOWED"],
    ["another path", { path: "/" }, 404, "NOT_FOUND"],
  ])("refuses %s with %i %s and delivers nothing", async (_what, req, status, code) => {
    expect(await send(path, req)).toEqual({ status, code })
    expect(seen).toEqual([])
  })

  it("tells its client the refusal's code, and that no API listens on a path without one", async () => {
    const refused = await notifyAdminSocket(path, { tokenId: "not-an-id" })
    expect(refused).toBeInstanceOf(AdminSocketRefusedError)
    expect(refused).toMatchObject({ status: 400, code: "INVALID_INVALIDATION_EVENT" })
    expect(await notifyAdminSocket(join(dir, "nobody.sock"), { tokenId: TOKEN })).toBeInstanceOf(AdminSocketUnreachableError)
  })

  it("replaces the socket file a killed API left, refuses a live one or a file that is not a socket, and removes its file on close", async () => {
    const stale = join(dir, "stale.sock")
    const holder = spawn(process.execPath, ["-e", "require('net').createServer().listen(process.argv[1], () => console.log('up'))", stale])
    await new Promise<void>((r) => holder.stdout.once("data", () => r()))
    // Live: another process answers there.
    await expect(startAdminSocket({ path: stale, deliver: () => undefined, logger: createLogger("silent") })).rejects.toBeInstanceOf(AdminSocketInUseError)
    holder.kill("SIGKILL")
    await new Promise((r) => holder.once("exit", r))
    expect(statSync(stale).isSocket()).toBe(true)

    const replaced = await startAdminSocket({ path: stale, deliver: bus.receive, logger: createLogger("silent") })
    expect(await notifyAdminSocket(stale, { accountId: ACCOUNT })).toBe(true)
    await replaced.close()
    expect(existsSync(stale)).toBe(false)

    const plain = join(dir, "plain")
    writeFileSync(plain, "keep me")
    await expect(startAdminSocket({ path: plain, deliver: () => undefined, logger: createLogger("silent") })).rejects.toBeInstanceOf(AdminSocketInUseError)
    expect(existsSync(plain)).toBe(true)
  })
})
