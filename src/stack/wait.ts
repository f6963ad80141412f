// Polls until a dependency answers, with a deadline and a reason when it does not.
import { createConnection, createServer } from "node:net"

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export const waitFor = async (
  what: string,
  probe: () => Promise<boolean>,
  opts: { timeoutMs?: number; intervalMs?: number; abortIf?: () => string | undefined } = {},
): Promise<void> => {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000)
  let lastError = ""
  while (Date.now() < deadline) {
    const abort = opts.abortIf?.()
    if (abort) throw new Error(`${what}: ${abort}`)
    try {
      if (await probe()) return
    } catch (e) {
      lastError = e instanceof Error ? e.message : String(e)
    }
    await sleep(opts.intervalMs ?? 150)
  }
  throw new Error(`${what} did not become ready in time${lastError ? ` (last error: ${lastError})` : ""}`)
}

export const httpOk = (url: string) => async () => {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
  return res.ok
}

export const tcpOpen = (host: string, port: number) => () =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host, port })
    socket.once("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.once("error", () => resolve(false))
  })

/** Asks the OS for a free TCP port on loopback. */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

/** A free port for each of the stack's listeners (startStack's port options), for a stack beside others. */
export const freeStackPorts = async () => ({
  apiPort: await freePort(),
  hydraPublicPort: await freePort(),
  hydraAdminPort: await freePort(),
  mongoPort: await freePort(),
  metricsPort: await freePort(),
})
