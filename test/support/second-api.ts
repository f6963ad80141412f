// A second API process on the same Mongo, Hydra and Redis: a replica, as in
// production, to prove what crosses processes (revocation fan-out), or one
// with settings of its own (`extraEnv`, e.g. small rate limits).
import { startApiReplica } from "@/stack/api-replica"
import { testStack } from "../harness/stack-state"

export const startSecondApi = async (extraEnv: Record<string, string> = {}) => {
  const stack = testStack()
  const replica = await startApiReplica({ apiEnv: stack.apiEnv, primaryApiUrl: stack.urls.api, dataDir: stack.dataDir, extraEnv })
  return { ...replica, stop: () => replica.process.stop() }
}
