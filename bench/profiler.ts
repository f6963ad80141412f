// CPU profiles of a running API process through the V8 inspector (Chrome
// DevTools protocol), one per benchmark row. `node --cpu-prof` would write a
// profile only at a clean exit, and the API's graceful stop does not finish
// before the launcher kills it, so the bench asks the inspector instead. The
// output is the same .cpuprofile format (open it in Chrome DevTools or
// speedscope).
import { once } from "node:events"
import { writeFileSync } from "node:fs"
import WebSocket from "ws"

export type Profiler = {
  start: () => Promise<void>
  /** Stops sampling and writes the profile to `file`. */
  stopTo: (file: string) => Promise<void>
  close: () => void
}

export const connectProfiler = async (inspectorPort: number): Promise<Profiler> => {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as Array<{
    webSocketDebuggerUrl: string
  }>
  const url = targets[0]?.webSocketDebuggerUrl
  if (!url) throw new Error(`no inspector target on port ${inspectorPort}`)
  const ws = new WebSocket(url)
  await once(ws, "open")
  let nextId = 0
  const pending = new Map<number, (m: { result?: unknown; error?: { message: string } }) => void>()
  ws.on("message", (data) => {
    const m = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } }
    if (m.id !== undefined) pending.get(m.id)?.(m)
    if (m.id !== undefined) pending.delete(m.id)
  })
  const send = (method: string, params?: Record<string, unknown>) =>
    new Promise<unknown>((resolve, reject) => {
      const id = ++nextId
      pending.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)))
      ws.send(JSON.stringify({ id, method, params }))
    })
  await send("Profiler.enable")
  await send("Profiler.setSamplingInterval", { interval: 200 })
  return {
    start: async () => void (await send("Profiler.start")),
    stopTo: async (file) => {
      const { profile } = (await send("Profiler.stop")) as { profile: unknown }
      writeFileSync(file, JSON.stringify(profile))
    },
    close: () => ws.close(),
  }
}
