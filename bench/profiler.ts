// CPU profiles of a running API process through the V8 inspector (Chrome
// DevTools protocol), one per benchmark row. `node --cpu-prof` would write a
// profile only at a clean exit, and the API's graceful stop does not finish
// before the launcher kills it, so the bench asks the inspector instead. The
// output is the same .cpuprofile format (open it in Chrome DevTools or
// speedscope).
import { writeFileSync } from "node:fs"
import { connectInspector } from "./inspector"

export type Profiler = {
  start: () => Promise<void>
  /** Stops sampling and writes the profile to `file`. */
  stopTo: (file: string) => Promise<void>
  close: () => void
}

export const connectProfiler = async (inspectorPort: number): Promise<Profiler> => {
  const { send, close } = await connectInspector(inspectorPort)
  await send("Profiler.enable")
  await send("Profiler.setSamplingInterval", { interval: 200 })
  return {
    start: async () => void (await send("Profiler.start")),
    stopTo: async (file) => {
      const { profile } = (await send("Profiler.stop")) as { profile: unknown }
      writeFileSync(file, JSON.stringify(profile))
    },
    close,
  }
}
