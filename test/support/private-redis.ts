// A redis-server of one test file's own, on a free loopback port, that the test
// may stop and start again (outages) without touching the machine's Redis.
import { ChildProcess, spawn } from "node:child_process"
import { freePort, tcpOpen, waitFor } from "@/stack/wait"

export type PrivateRedis = { port: number; url: string; start: () => Promise<void>; stop: () => Promise<void> }

export const privateRedis = async (): Promise<PrivateRedis> => {
  const port = await freePort()
  let server: ChildProcess | undefined
  const running = () => server !== undefined && server.exitCode === null && server.signalCode === null
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start: async () => {
      if (running()) return
      server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" })
      await waitFor("redis", tcpOpen("127.0.0.1", port), { timeoutMs: 10_000 })
    },
    /** SIGKILL, as an outage: no goodbye to the clients. */
    stop: async () => {
      if (!running()) return
      const exited = new Promise((r) => server!.once("exit", r))
      server!.kill("SIGKILL")
      await exited
    },
  }
}
