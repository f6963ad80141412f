// A minimal client of a Node process's V8 inspector (Chrome DevTools
// protocol) over its WebSocket: used by the bench for CPU profiles and by the
// load run for the live heap after a full collection.
import { once } from "node:events"
import WebSocket from "ws"

export type Inspector = {
  send: (method: string, params?: Record<string, unknown>) => Promise<unknown>
  close: () => void
}

export const connectInspector = async (inspectorPort: number): Promise<Inspector> => {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as Array<{
    webSocketDebuggerUrl: string
  }>
  const url = targets[0]?.webSocketDebuggerUrl
  if (!url) throw new Error(`no inspector target on port ${inspectorPort}`)
  const ws = new WebSocket(url, { maxPayload: 1024 * 2 ** 20 })
  await once(ws, "open")
  let nextId = 0
  const pending = new Map<number, (m: { result?: unknown; error?: { message: string } }) => void>()
  ws.on("message", (data) => {
    const m = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } }
    if (m.id === undefined) return
    pending.get(m.id)?.(m)
    pending.delete(m.id)
  })
  const send = (method: string, params?: Record<string, unknown>) =>
    new Promise<unknown>((resolve, reject) => {
      const id = ++nextId
      pending.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)))
      ws.send(JSON.stringify({ id, method, params }))
    })
  return { send, close: () => ws.close() }
}

/** Live heap: a full collection first, then what V8 still holds (MB). */
export const liveHeapMb = async (inspector: Inspector): Promise<number> => {
  await inspector.send("HeapProfiler.collectGarbage")
  const { usedSize } = (await inspector.send("Runtime.getHeapUsage")) as { usedSize: number }
  return Math.round((usedSize / 2 ** 20) * 10) / 10
}
