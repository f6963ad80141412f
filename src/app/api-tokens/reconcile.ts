// Reconciliation (job and `npm run admin -- reconcile`): repairs what a crash or
// an outage left between Mongo and Hydra.
//   - a PENDING record older than `pendingGraceMs` (a creation that never
//     finished): its Hydra clients are deleted, then the record, its client
//     documents and its slot;
//   - an ACTIVE record none of whose live clients exists in Hydra: unusable (the
//     secret cannot be recreated), so it is revoked;
//   - a Hydra client carrying our marker whose client document is missing, or
//     whose token is revoked or gone: deleted from Hydra (a PENDING token's
//     clients are left to the first rule).
import { ApiTokenClientId, ApiTokenId } from "@/domain/api-tokens"
import type { ApiTokensDeps } from "./deps"

export type ReconcileReport = {
  pendingRemoved: number
  recordsWithoutClientRevoked: number
  orphanClientsDeleted: number
  failures: number
}

export const reconcileApiTokens = async (
  deps: ApiTokensDeps,
  opts: { pendingGraceMs?: number; now?: Date } = {},
): Promise<ReconcileReport | Error> => {
  const now = opts.now ?? new Date()
  const report: ReconcileReport = { pendingRemoved: 0, recordsWithoutClientRevoked: 0, orphanClientsDeleted: 0, failures: 0 }

  const hydraClients = await deps.hydra.listOurClients()
  if (hydraClients instanceof Error) return hydraClients
  const inHydra = new Set(hydraClients.map((c) => c.clientId))

  // 1. Creations that never finished.
  const pending = await deps.repo.listPendingOlderThan(new Date(now.getTime() - (opts.pendingGraceMs ?? 5 * 60_000)))
  if (pending instanceof Error) return pending
  for (const t of pending) {
    const clients = await deps.repo.listClients(t.id)
    if (clients instanceof Error) return clients
    const ids = new Set<string>([
      ...clients.map((c) => c.clientId),
      ...hydraClients.filter((h) => h.tokenId === t.id).map((h) => h.clientId),
    ])
    let ok = true
    for (const id of ids) if ((await deps.hydra.deleteClient(id)) instanceof Error) ok = false
    if (!ok) {
      report.failures++
      continue
    }
    if ((await deps.repo.deletePending(t.id)) instanceof Error) report.failures++
    else report.pendingRemoved++
  }

  // 2. Active records whose credentials are gone from Hydra.
  const active = await deps.repo.listByStatus("ACTIVE")
  if (active instanceof Error) return active
  for (const t of active) {
    if (t.expiresAt && t.expiresAt <= now) continue // cleanup's business
    const clients = await deps.repo.listClients(t.id)
    if (clients instanceof Error) return clients
    const live = clients.filter((c) => !c.removedAt && (!c.notAfter || c.notAfter > now))
    if (live.some((c) => inHydra.has(c.clientId))) continue
    // Listing and creating race: confirm each one before acting.
    let confirmedMissing = true
    for (const c of live) {
      const exists = await deps.hydra.clientExists(c.clientId)
      if (exists !== false) confirmedMissing = false
    }
    if (!confirmedMissing) continue
    const r = await deps.repo.markRevoked(t.id, now)
    if (r instanceof Error) {
      report.failures++
      continue
    }
    deps.onActiveCountChanged?.(-1)
    await deps.invalidation.publish({ tokenId: t.id, revoked: true })
    for (const c of clients) await deps.repo.markClientRemoved(c.clientId, now)
    deps.logger?.warn({ tokenId: t.id }, "reconcile: active token had no Hydra client, revoked")
    report.recordsWithoutClientRevoked++
  }

  // 3. Hydra clients of ours that no live record explains.
  const docs = await deps.repo.listClientsByIds([...inHydra])
  if (docs instanceof Error) return docs
  const docById = new Map(docs.map((d) => [d.clientId as string, d]))
  const tokenIds = [...new Set(docs.map((d) => d.tokenId as string))]
  const tokens = await deps.repo.findByIds(tokenIds)
  if (tokens instanceof Error) return tokens
  const tokenById = new Map(tokens.map((t) => [t.id as string, t]))
  for (const h of hydraClients) {
    const doc = docById.get(h.clientId)
    const token = doc ? tokenById.get(doc.tokenId) : undefined
    if (token?.storedStatus === "PENDING" || (token?.storedStatus === "ACTIVE" && !doc?.removedAt)) continue
    if (!doc && h.tokenId && (await pendingTokenExists(deps, h.tokenId as ApiTokenId))) continue
    const r = await deps.hydra.deleteClient(h.clientId)
    if (r instanceof Error) {
      report.failures++
      continue
    }
    if (doc) await deps.repo.markClientRemoved(h.clientId as ApiTokenClientId, now)
    report.orphanClientsDeleted++
  }
  deps.logger?.info(report, "api token reconcile")
  return report
}

const pendingTokenExists = async (deps: ApiTokensDeps, id: ApiTokenId) => {
  const t = await deps.repo.findById(id)
  return !(t instanceof Error) && t.storedStatus === "PENDING"
}
