// Runs FerretDB (the MongoDB wire protocol on SQLite) from our small Go wrapper.
import { join } from "node:path"
import { binaryPath } from "./go-build"
import { ManagedProcess, startProcess } from "./child-process"
import { tcpOpen, waitFor } from "./wait"

export const startFerretdb = async (o: {
  host: string
  port: number
  dataDir: string
  logDir: string
  echo?: (line: string) => void
}): Promise<ManagedProcess> => {
  const proc = startProcess({
    name: "ferretdb",
    command: binaryPath("ferretdb"),
    args: ["--listen", `${o.host}:${o.port}`, "--handler", "sqlite", "--sqlite-dir", join(o.dataDir, "ferretdb")],
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    logDir: o.logDir,
    echo: o.echo,
  })
  await waitFor("FerretDB", tcpOpen(o.host, o.port), {
    timeoutMs: 30_000,
    abortIf: () => (proc.isRunning() ? undefined : `exited early, see ${proc.logFile}`),
  })
  return proc
}
