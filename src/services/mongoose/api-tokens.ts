// Repository for API tokens, their Hydra clients and the per-account slots:
// Mongo documents in, domain objects out, Mongo failures as repository errors.
// See api-tokens-schema.ts for why uniqueness lives in keys we maintain.
import type { AccountId, WalletId } from "@/domain/accounts"
import {
  ApiToken,
  ApiTokenClient,
  ApiTokenClientId,
  ApiTokenId,
  ApiTokenLimitReachedError,
  ApiTokenNameTakenError,
  ApiTokenNotFoundError,
  ApiTokenBudget,
  ApiTokenStaticKey,
  apiTokenNameKey,
  apiTokenUsability,
  budgetOfDailySendLimit,
} from "@/domain/api-tokens"
import { RepositoryError, UnknownRepositoryError } from "@/domain/shared/errors"
import { isDuplicateKeyError } from "./connection"
import { bucketOf, changedSinceWindow, changeStamp, createDueSweeps, dueBucketOf, findInBuckets, REVOCATION_BUCKET_MS } from "./time-buckets"
import { ApiTokenClientModel, ApiTokenModel, ApiTokenSlotModel, ApiTokenStaticKeyModel } from "./api-tokens-schema"

type Doc = Record<string, unknown>
const unknown = (e: unknown) => new UnknownRepositoryError(e instanceof Error ? e.message : String(e))

const toToken = (d: Doc): ApiToken => ({
  id: d._id as ApiTokenId,
  accountId: d.accountId as AccountId,
  name: d.name as string,
  scopes: d.scopes as ApiToken["scopes"],
  storedStatus: d.storedStatus as ApiToken["storedStatus"],
  authMethod: (d.authMethod as ApiToken["authMethod"]) ?? "client_secret_basic",
  createdAt: d.createdAt as Date,
  secretCreatedAt: (d.secretCreatedAt as Date | null) ?? undefined,
  rotationRemindedFor: (d.rotationRemindedFor as Date | null) ?? undefined,
  expiresAt: (d.expiresAt as Date | null) ?? undefined,
  revokedAt: (d.revokedAt as Date | null) ?? undefined,
  lastUsedAt: (d.lastUsedAt as Date | null) ?? undefined,
  walletIds: (d.walletIds as WalletId[] | null) ?? undefined,
  ipAllowlist: (d.ipAllowlist as string[] | null) ?? undefined,
  rateLimitPerMinute: (d.rateLimitPerMinute as number | null) ?? undefined,
  ...budgetOf(d),
  staticKey: d.staticKey === true,
})

/** The stored budget; a record of before budgets, with only a dailySendLimit, has that as a DAILY SATS budget. */
const budgetOf = (d: Doc): { budget?: ApiTokenBudget } => {
  const b = d.budget as (ApiTokenBudget & { maxPerPayment?: number | null }) | null | undefined
  if (b) {
    const budget: ApiTokenBudget = { amount: b.amount, unit: b.unit, period: b.period }
    if (b.maxPerPayment != null) budget.maxPerPayment = b.maxPerPayment
    return { budget }
  }
  if (typeof d.dailySendLimit === "number") return { budget: budgetOfDailySendLimit(d.dailySendLimit) }
  return {}
}

const toClient = (d: Doc): ApiTokenClient & { removedAt: Date | undefined } => ({
  clientId: d._id as ApiTokenClientId,
  tokenId: d.tokenId as ApiTokenId,
  accountId: d.accountId as AccountId,
  createdAt: d.createdAt as Date,
  notAfter: (d.notAfter as Date | null) ?? undefined,
  removedAt: (d.removedAt as Date | null) ?? undefined,
})

export type StoredApiTokenClient = ReturnType<typeof toClient>

/** A slot whose token never appeared is reclaimed only after this long (an insert may be in flight). */
const ORPHAN_SLOT_AGE_MS = 60_000
/** lastUsedAt writes in flight at once during a usage flush (see recordLastUsed). */
const LAST_USED_WRITERS = 4

export const ApiTokensRepository = () => {
  // The cleanup job's sweeps run on this repository (the deps' one): each reads everything at its first run.
  const sweepDue = createDueSweeps()
  const guard = async <T>(f: () => Promise<T>): Promise<T | RepositoryError> => {
    try {
      return await f()
    } catch (e) {
      return unknown(e)
    }
  }

  const isStale = (t: Doc | undefined, slotCreatedAt: Date, now: Date) => {
    if (!t) return now.getTime() - slotCreatedAt.getTime() > ORPHAN_SLOT_AGE_MS
    // A revoked or expired token no longer counts; a PENDING one (a creation in flight) keeps its slot.
    const usability = apiTokenUsability(toToken(t), now)
    return !usability.usable && (usability.reason === "revoked" || usability.reason === "expired")
  }

  /**
   * Takes one of the account's `max` slots for this token (insert under the unique
   * `_id`, the only operation FerretDB makes atomic). When all are taken, slots of
   * revoked or expired tokens are released once and the claim is retried.
   */
  const claimSlot = (accountId: AccountId, tokenId: ApiTokenId, max: number) =>
    guard(async (): Promise<string | ApiTokenLimitReachedError> => {
      for (let attempt = 0; attempt < 2; attempt++) {
        const taken = new Set(
          (await ApiTokenSlotModel.find({ accountId }, { _id: 1 }).lean<Doc[]>()).map((d) => d._id as string),
        )
        for (let n = 0; n < max; n++) {
          const slotId = `${accountId}:slot${n}`
          if (taken.has(slotId)) continue
          try {
            await ApiTokenSlotModel.create({ _id: slotId, accountId, tokenId, createdAt: new Date() })
            return slotId
          } catch (e) {
            if (!isDuplicateKeyError(e)) throw e
          }
        }
        if (attempt > 0) break
        // Full: release the slots of tokens that no longer count. Known narrow race on
        // FerretDB (delete = read then delete by _id): two creators releasing the same
        // stale slot while a third re-claims it can let the account exceed the maximum
        // by one until that token is revoked or expires. On MongoDB the filtered delete is atomic.
        const slots = await ApiTokenSlotModel.find({ accountId }).lean<Doc[]>()
        // One lookup by _id per slot (an account has a handful): FerretDB evaluates `$in` over every token.
        const tokens = (await Promise.all(slots.map((s) => ApiTokenModel.findById(s.tokenId as string).lean<Doc>()))).filter(
          (t): t is Doc => t !== null,
        )
        const byId = new Map(tokens.map((t) => [t._id as string, t]))
        const now = new Date()
        let released = 0
        for (const s of slots) {
          if (isStale(byId.get(s.tokenId as string), s.createdAt as Date, now)) {
            await ApiTokenSlotModel.deleteOne({ _id: s._id as string, tokenId: s.tokenId as string })
            released++
          }
        }
        if (released === 0) break
      }
      return new ApiTokenLimitReachedError(`an account can have at most ${max} active API tokens`)
    })

  const releaseSlot = (tokenId: ApiTokenId) => guard(async () => (await ApiTokenSlotModel.deleteMany({ tokenId }), true as const))

  /** Writes the PENDING record; a name held by another active token → ApiTokenNameTakenError. */
  const insertPending = (token: ApiToken, slotId: string) =>
    guard(async (): Promise<true | ApiTokenNameTakenError> => {
      const key = apiTokenNameKey(token.accountId, token.name)
      const doc = {
        _id: token.id,
        accountId: token.accountId,
        name: token.name,
        activeNameKey: key,
        slotId,
        scopes: token.scopes,
        storedStatus: "PENDING" as const,
        authMethod: token.authMethod ?? "client_secret_basic",
        createdAt: token.createdAt,
        secretCreatedAt: token.secretCreatedAt ?? token.createdAt,
        secretBucket: dueBucketOf(token.secretCreatedAt ?? token.createdAt),
        expiresAt: token.expiresAt,
        expiryBucket: dueBucketOf(token.expiresAt),
        walletIds: token.walletIds,
        ipAllowlist: token.ipAllowlist,
        rateLimitPerMinute: token.rateLimitPerMinute,
        budget: token.budget,
        staticKey: token.staticKey === true,
      }
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          await ApiTokenModel.create(doc)
          return true
        } catch (e) {
          if (!isDuplicateKeyError(e)) throw e
        }
        // The holder may have expired without cleanup yet: release its name and retry once.
        const holder = await ApiTokenModel.findOne({ activeNameKey: key }).lean<Doc>()
        const exp = holder?.expiresAt as Date | undefined
        if (!holder || !exp || exp.getTime() > Date.now()) break
        await ApiTokenModel.updateOne({ _id: holder._id as string, activeNameKey: key }, { $set: { activeNameKey: holder._id as string } })
      }
      return new ApiTokenNameTakenError("an active API token of this account already has this name")
    })

  const markActive = (id: ApiTokenId) =>
    guard(async () => {
      const r = await ApiTokenModel.updateOne({ _id: id }, { $set: { storedStatus: "ACTIVE" } })
      return r.matchedCount === 1 ? (true as const) : new ApiTokenNotFoundError()
    })

  /** Compensation: removes a record that never became ACTIVE, with its slot and client documents. */
  const deletePending = (id: ApiTokenId) =>
    guard(async () => {
      await ApiTokenStaticKeyModel.deleteMany({ tokenId: id })
      await ApiTokenClientModel.deleteMany({ tokenId: id })
      await ApiTokenModel.deleteOne({ _id: id })
      await ApiTokenSlotModel.deleteMany({ tokenId: id })
      return true as const
    })

  /** Idempotent: keeps the first revocation time; frees the name and the slot. */
  const markRevoked = (id: ApiTokenId, at: Date) =>
    guard(async () => {
      const d = await ApiTokenModel.findById(id).lean<Doc>()
      if (!d) return new ApiTokenNotFoundError()
      if (d.storedStatus !== "REVOKED") {
        await ApiTokenModel.updateOne(
          { _id: id },
          { $set: { storedStatus: "REVOKED", revokedAt: at, revokeBucket: bucketOf(at, REVOCATION_BUCKET_MS), activeNameKey: id, ...changeStamp(at) } },
        )
      }
      await ApiTokenSlotModel.deleteMany({ tokenId: id })
      const after = await ApiTokenModel.findById(id).lean<Doc>()
      return after ? toToken(after) : new ApiTokenNotFoundError()
    })

  const findById = (id: ApiTokenId) =>
    guard(async () => {
      const d = await ApiTokenModel.findById(id).lean<Doc>()
      return d ? toToken(d) : new ApiTokenNotFoundError()
    })

  /** Newest first; PENDING records (creations in flight or crashed) are not shown. */
  const listByAccount = (accountId: AccountId) =>
    guard(async () => {
      const docs = await ApiTokenModel.find({ accountId, storedStatus: { $ne: "PENDING" } })
        .sort({ createdAt: -1 })
        .lean<Doc[]>()
      return docs.map(toToken)
    })

  const insertClient = (c: ApiTokenClient) =>
    guard(async () => {
      await ApiTokenClientModel.create({
        _id: c.clientId,
        tokenId: c.tokenId,
        accountId: c.accountId,
        createdAt: c.createdAt,
        notAfter: c.notAfter,
        notAfterBucket: dueBucketOf(c.notAfter),
      })
      return true as const
    })

  const deleteClient = (clientId: ApiTokenClientId) =>
    guard(async () => {
      await ApiTokenStaticKeyModel.deleteMany({ clientId })
      await ApiTokenClientModel.deleteOne({ _id: clientId })
      return true as const
    })

  /** The key document of a new client secret (written before the Hydra client, like the client document). */
  const insertStaticKey = (k: ApiTokenStaticKey) =>
    guard(async () => {
      await ApiTokenStaticKeyModel.create({
        _id: k.keyId,
        verifier: k.verifier,
        tokenId: k.tokenId,
        clientId: k.clientId,
        staticKey: k.staticKey,
        createdAt: k.createdAt,
      })
      return true as const
    })

  /** One `_id` lookup: the hot path of static-key authentication (cached by the resolver). */
  const findStaticKey = (keyId: string) =>
    guard(async (): Promise<ApiTokenStaticKey | ApiTokenNotFoundError> => {
      const d = await ApiTokenStaticKeyModel.findById(keyId).lean<Doc>()
      if (!d) return new ApiTokenNotFoundError()
      return {
        keyId: d._id as string,
        verifier: d.verifier as string,
        tokenId: d.tokenId as ApiTokenId,
        clientId: d.clientId as ApiTokenClientId,
        staticKey: d.staticKey === true,
        createdAt: d.createdAt as Date,
      }
    })

  const findClient = (clientId: string) =>
    guard(async () => {
      const d = await ApiTokenClientModel.findById(clientId).lean<Doc>()
      return d ? toClient(d) : new ApiTokenNotFoundError()
    })

  const listClients = (tokenId: ApiTokenId) =>
    guard(async () => (await ApiTokenClientModel.find({ tokenId }).sort({ createdAt: 1 }).lean<Doc[]>()).map(toClient))

  const listClientsByIds = (ids: string[]) =>
    guard(async () => (await ApiTokenClientModel.find({ _id: { $in: ids } }).lean<Doc[]>()).map(toClient))

  const setClientNotAfter = (clientId: ApiTokenClientId, at: Date) =>
    guard(async () => (await ApiTokenClientModel.updateOne({ _id: clientId }, { $set: { notAfter: at, notAfterBucket: dueBucketOf(at) } }), true as const))

  const markClientRemoved = (clientId: ApiTokenClientId, at: Date) =>
    guard(async () => (await ApiTokenClientModel.updateOne({ _id: clientId }, { $set: { removedAt: at } }), true as const))

  /** Old rotation clients whose grace ended and that are still in Hydra. */
  const listClientsPastNotAfter = (now: Date) =>
    guard(async () =>
      (
        await sweepDue(
          "clients past notAfter",
          now,
          () => ApiTokenClientModel.find({ notAfter: { $lte: now }, removedAt: { $exists: false } }).lean<Doc[]>(),
          (notAfterBucket) => ApiTokenClientModel.find({ notAfterBucket }).lean<Doc[]>(),
        )
      )
        .filter((d) => !d.removedAt && (d.notAfter as Date) <= now)
        .map(toClient),
    )

  /** Unrevoked tokens that expired and were not cleaned up yet. */
  const listExpiredUncleaned = (now: Date) =>
    guard(async () =>
      (
        await sweepDue(
          "expired tokens",
          now,
          () => ApiTokenModel.find({ storedStatus: "ACTIVE", expiresAt: { $lte: now }, cleanedAt: { $exists: false } }).lean<Doc[]>(),
          (expiryBucket) => ApiTokenModel.find({ expiryBucket }).lean<Doc[]>(),
        )
      )
        .filter((d) => d.storedStatus === "ACTIVE" && !d.cleanedAt && (d.expiresAt as Date) <= now)
        .map(toToken),
    )

  /** After cleanup: the name and the slot are free again. */
  const markCleaned = (id: ApiTokenId, at: Date) =>
    guard(async () => {
      await ApiTokenModel.updateOne({ _id: id }, { $set: { cleanedAt: at, activeNameKey: id } })
      await ApiTokenSlotModel.deleteMany({ tokenId: id })
      return true as const
    })

  const listPendingOlderThan = (before: Date) =>
    guard(async () =>
      (await ApiTokenModel.find({ storedStatus: "PENDING", createdAt: { $lt: before } }).lean<Doc[]>()).map(toToken),
    )

  const listByStatus = (storedStatus: ApiToken["storedStatus"]) =>
    guard(async () => (await ApiTokenModel.find({ storedStatus }).lean<Doc[]>()).map(toToken))

  const findByIds = (ids: string[]) =>
    guard(async () => (await ApiTokenModel.find({ _id: { $in: ids } }).lean<Doc[]>()).map(toToken))

  /** For the invalidation resync: revoked ids (final, remembered). */
  const listRevokedSince = (since: Date): Promise<ApiTokenId[] | RepositoryError> =>
    guard(async () =>
      (
        await findInBuckets(
          { from: since, to: new Date(Date.now() + REVOCATION_BUCKET_MS), sizeMs: REVOCATION_BUCKET_MS },
          (revokeBucket) => ApiTokenModel.find({ revokeBucket }, { _id: 1, revokedAt: 1 }).lean<Doc[]>(),
          () => ApiTokenModel.find({ storedStatus: "REVOKED", revokedAt: { $gte: since } }, { _id: 1, revokedAt: 1 }).lean<Doc[]>(),
        )
      )
        .filter((d) => (d.revokedAt as Date) >= since)
        .map((d) => d._id as ApiTokenId),
    )

  /** For the invalidation resync: every token whose record changed at or after `since`. */
  const listChangedSince = (since: Date) =>
    guard(async () =>
      (
        await findInBuckets(
          changedSinceWindow(since),
          (changeBucket) => ApiTokenModel.find({ changeBucket }, { _id: 1, changedAt: 1, storedStatus: 1 }).lean<Doc[]>(),
          () => ApiTokenModel.find({ changedAt: { $gte: since } }, { _id: 1, changedAt: 1, storedStatus: 1 }).lean<Doc[]>(),
        )
      )
        .filter((d) => (d.changedAt as Date) >= since)
        .map((d) => ({ id: d._id as ApiTokenId, changedAt: d.changedAt as Date, revoked: d.storedStatus === "REVOKED" })),
    )

  /** Stamps a change made elsewhere (a rotation's clients) on the token record. */
  const markChanged = (id: ApiTokenId, at: Date) =>
    guard(async () => (await ApiTokenModel.updateOne({ _id: id }, { $set: changeStamp(at) }), true as const))

  /** A rotation issued new credentials at `at`: the rotation-age clock restarts (and the change is stamped). */
  const markSecretRotated = (id: ApiTokenId, at: Date) =>
    guard(async () => (await ApiTokenModel.updateOne({ _id: id }, { $set: { secretCreatedAt: at, secretBucket: dueBucketOf(at), ...changeStamp(at) } }), true as const))

  /**
   * ACTIVE tokens whose current secret was issued at or before `issuedBefore`
   * (records without `secretCreatedAt` count from `createdAt`), expired ones included:
   * the caller applies the rule (isRotationDue).
   */
  const listSecretsIssuedBefore = (issuedBefore: Date) =>
    guard(async () =>
      (
        await sweepDue(
          "secrets issued before",
          issuedBefore,
          () =>
            ApiTokenModel.find({
              storedStatus: "ACTIVE",
              $or: [
                { secretCreatedAt: { $lte: issuedBefore } },
                { secretCreatedAt: { $exists: false }, createdAt: { $lte: issuedBefore } },
              ],
            }).lean<Doc[]>(),
          (secretBucket) => ApiTokenModel.find({ secretBucket }).lean<Doc[]>(),
        )
      )
        .filter((d) => d.storedStatus === "ACTIVE" && ((d.secretCreatedAt ?? d.createdAt) as Date) <= issuedBefore)
        .map(toToken),
    )

  /** Remembers that the reminder of the secret issued at `secretCreatedAt` is recorded. */
  const markRotationReminded = (id: ApiTokenId, secretCreatedAt: Date) =>
    guard(async () => (await ApiTokenModel.updateOne({ _id: id }, { $set: { rotationRemindedFor: secretCreatedAt } }), true as const))

  /**
   * An edit of what the token may do. `null` removes a limit; an absent field
   * stays as it is. Returns the record after the write.
   */
  const updateAccess = (
    id: ApiTokenId,
    changes: Partial<Record<"scopes" | "walletIds" | "ipAllowlist" | "rateLimitPerMinute" | "budget", unknown>>,
    at: Date,
  ) =>
    guard(async () => {
      const set: Doc = changeStamp(at)
      const unset: Doc = {}
      for (const [k, v] of Object.entries(changes)) {
        if (v === undefined) continue
        if (v === null) unset[k] = ""
        else set[k] = v
      }
      // A set or removed budget replaces a record's legacy limit too.
      if (changes.budget !== undefined) unset.dailySendLimit = ""
      const r = await ApiTokenModel.updateOne({ _id: id }, Object.keys(unset).length ? { $set: set, $unset: unset } : { $set: set })
      if (r.matchedCount !== 1) return new ApiTokenNotFoundError()
      const d = await ApiTokenModel.findById(id).lean<Doc>()
      return d ? toToken(d) : new ApiTokenNotFoundError()
    })

  /**
   * Batched last-use stamps. Last write wins per token within a batch (we keep the
   * latest `at`); across batches a plain `$set` of a later date is enough, and an
   * earlier one is skipped by the `$lt` filter (racy on FerretDB, harmless here:
   * it is a display value, not a limit).
   */
  const recordLastUsed = (entries: Array<{ tokenId: ApiTokenId; at: Date }>): Promise<true | RepositoryError> =>
    guard(async () => {
      const latest = new Map<ApiTokenId, Date>()
      for (const e of entries) {
        const prev = latest.get(e.tokenId)
        if (!prev || prev < e.at) latest.set(e.tokenId, e.at)
      }
      if (latest.size === 0) return true as const
      // One update statement per command, a few commands at a time — never one
      // bulk write. FerretDB (v1.24) keeps each statement's SQLite cursor open
      // until the whole command ends, and each modified document needs one
      // more connection of its pool of 100: an `update` of about 100 statements
      // took the whole pool and wedged FerretDB for every client (`npm run
      // load`, 100 tokens used within one flush).
      const pending = [...latest]
      const worker = async () => {
        for (let next = pending.pop(); next; next = pending.pop()) {
          const [id, at] = next
          await ApiTokenModel.updateOne(
            { _id: id, $or: [{ lastUsedAt: { $exists: false } }, { lastUsedAt: { $lt: at } }] },
            { $set: { lastUsedAt: at } },
          )
        }
      }
      await Promise.all(Array.from({ length: Math.min(LAST_USED_WRITERS, pending.length) }, worker))
      return true as const
    })

  /** ACTIVE and unexpired now (the flashapi_api_tokens_active gauge). */
  const countActive = (now = new Date()) =>
    guard(() => ApiTokenModel.countDocuments({ storedStatus: "ACTIVE", $or: [{ expiresAt: { $exists: false } }, { expiresAt: { $gt: now } }] }))

  /** Records still written with the old `dailySendLimit` (the migration's work list). */
  const listWithDailySendLimit = () =>
    guard(async () =>
      (await ApiTokenModel.find({ dailySendLimit: { $exists: true } }, { _id: 1, accountId: 1, dailySendLimit: 1, budget: 1 }).lean<Doc[]>()).map(
        (d) => ({
          id: d._id as ApiTokenId,
          accountId: d.accountId as AccountId,
          dailySendLimit: typeof d.dailySendLimit === "number" ? d.dailySendLimit : undefined,
          hasBudget: Boolean(d.budget),
        }),
      ),
    )

  /**
   * Moves one record's old `dailySendLimit` into a DAILY SATS `budget` (how such
   * a record is read anyway, see budgetOf). Safe on replicas at once: each
   * write sets the same value a concurrent one would, and a record that has a
   * budget already only loses the old field. Answers whether this call moved it.
   */
  const moveDailySendLimitToBudget = (id: ApiTokenId) =>
    guard(async () => {
      const d = await ApiTokenModel.findById(id, { dailySendLimit: 1, budget: 1 }).lean<Doc>()
      if (!d || d.dailySendLimit === undefined) return false
      if (d.budget || typeof d.dailySendLimit !== "number") {
        await ApiTokenModel.updateOne({ _id: id }, { $unset: { dailySendLimit: "" } })
        return false
      }
      const r = await ApiTokenModel.updateOne(
        { _id: id, dailySendLimit: d.dailySendLimit, budget: { $exists: false } },
        { $set: { budget: budgetOfDailySendLimit(d.dailySendLimit) }, $unset: { dailySendLimit: "" } },
      )
      return r.modifiedCount === 1
    })

  return {
    listWithDailySendLimit,
    moveDailySendLimitToBudget,
    countActive,
    claimSlot,
    releaseSlot,
    insertPending,
    markActive,
    deletePending,
    markRevoked,
    findById,
    findByIds,
    listByAccount,
    listByStatus,
    insertClient,
    deleteClient,
    insertStaticKey,
    findStaticKey,
    findClient,
    listClients,
    listClientsByIds,
    setClientNotAfter,
    markClientRemoved,
    listClientsPastNotAfter,
    listExpiredUncleaned,
    markCleaned,
    listPendingOlderThan,
    listRevokedSince,
    listChangedSince,
    markChanged,
    markSecretRotated,
    listSecretsIssuedBefore,
    markRotationReminded,
    updateAccess,
    recordLastUsed,
  }
}

export type ApiTokensRepositoryType = ReturnType<typeof ApiTokensRepository>
