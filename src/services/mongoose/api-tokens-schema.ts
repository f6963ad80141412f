// Mongo collections of API tokens. FerretDB v1 has no partial indexes and no
// atomic conditional updates, so every invariant is a unique index on a key we
// maintain ourselves:
//   apitokens.activeNameKey  `accountId:lowercased name` while the token is
//                            PENDING/ACTIVE and unexpired; the token id once it is
//                            revoked or cleaned up → names unique among active tokens
//   apitokenclients._id      the Hydra client id → one token per client
//   apitokenslots._id        `accountId:slotN` for N < max → at most max active tokens
//   api_token_static_keys._id  sha256 of a client secret → one lookup finds its
//                            token (static-key mode, domain/api-tokens/static-key.ts)
// No secret is stored anywhere: Hydra keeps the (PBKDF2) hash for OAuth2, and
// the static-key documents hold two SHA-256 digests of the 256-bit secret.
import mongoose, { Schema } from "mongoose"

const ApiTokenSchema = new Schema(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true, index: true },
    name: { type: String, required: true },
    activeNameKey: { type: String, required: true, unique: true },
    slotId: { type: String },
    scopes: { type: [String], required: true },
    storedStatus: { type: String, enum: ["PENDING", "ACTIVE", "REVOKED"], required: true, index: true },
    authMethod: { type: String, enum: ["client_secret_basic", "client_secret_post"], required: true },
    createdAt: { type: Date, required: true },
    /** When the current secret was issued (creation, each rotation); absent on older records: createdAt. */
    secretCreatedAt: { type: Date },
    /** secretCreatedAt's day (time-buckets.ts): the rotation reminders' lookup. */
    secretBucket: { type: String, index: true },
    /** The secretCreatedAt whose API_TOKEN_ROTATION_DUE audit event is recorded (see cleanup's reminders). */
    rotationRemindedFor: { type: Date },
    expiresAt: { type: Date },
    /** expiresAt's day (time-buckets.ts): the cleanup's lookup of expired tokens. */
    expiryBucket: { type: String, index: true },
    revokedAt: { type: Date },
    /** revokedAt's hour (time-buckets.ts): the resync's lookup of recent revocations. */
    revokeBucket: { type: String, index: true },
    lastUsedAt: { type: Date },
    /** Set when an expired token's Hydra clients were deleted and its name and slot released. */
    cleanedAt: { type: Date },
    /**
     * Stamped by every change that narrows what the token's credentials may do
     * (revocation, rotation, an edit): the invalidation resync reads it.
     */
    changedAt: { type: Date },
    /** changedAt's minute (time-buckets.ts): the resync's lookup. */
    changeBucket: { type: String, index: true },
    walletIds: { type: [String], default: undefined },
    ipAllowlist: { type: [String], default: undefined },
    rateLimitPerMinute: { type: Number },
    /** One spending budget for every wallet (domain/api-tokens/budget.ts). */
    budget: {
      type: new Schema(
        {
          amount: { type: Number, required: true },
          unit: { type: String, enum: ["SATS", "USD_CENTS"], required: true },
          period: { type: String, enum: ["DAILY", "WEEKLY", "MONTHLY", "YEARLY", "NEVER"], required: true },
          maxPerPayment: { type: Number },
        },
        { _id: false, versionKey: false },
      ),
      default: undefined,
    },
    /**
     * Written before budgets existed (a per-wallet rolling-24 h limit); read as
     * a DAILY SATS budget, and moved into `budget` at start (migrateDailySendLimits).
     */
    dailySendLimit: { type: Number },
    /** Static-key mode opted in at creation (absent: false). */
    staticKey: { type: Boolean },
  },
  { versionKey: false },
)

const ApiTokenClientSchema = new Schema(
  {
    _id: { type: String, required: true },
    tokenId: { type: String, required: true, index: true },
    accountId: { type: String, required: true },
    createdAt: { type: Date, required: true },
    /** Set on the old client of a rotation: refused at the token hook from then on. */
    notAfter: { type: Date },
    /** notAfter's day (time-buckets.ts): the cleanup's lookup of clients whose grace ended. */
    notAfterBucket: { type: String, index: true },
    /** Set once the client was deleted from Hydra (revocation, rotation, cleanup). */
    removedAt: { type: Date },
  },
  { versionKey: false },
)

const ApiTokenSlotSchema = new Schema(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true, index: true },
    /** Indexed: a revocation, a cleanup and a failed creation release the token's slot by it. */
    tokenId: { type: String, required: true, index: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
)

/**
 * One per client secret, static-key token or not: a secret of a token that did
 * not opt in is recognised and answered API_TOKEN_OAUTH2_ONLY. Never updated.
 */
const ApiTokenStaticKeySchema = new Schema(
  {
    _id: { type: String, required: true },
    verifier: { type: String, required: true },
    tokenId: { type: String, required: true, index: true },
    clientId: { type: String, required: true },
    staticKey: { type: Boolean, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
)

export const ApiTokenModel = mongoose.model("ApiToken", ApiTokenSchema)
export const ApiTokenClientModel = mongoose.model("ApiTokenClient", ApiTokenClientSchema)
export const ApiTokenSlotModel = mongoose.model("ApiTokenSlot", ApiTokenSlotSchema)
export const ApiTokenStaticKeyModel = mongoose.model("ApiTokenStaticKey", ApiTokenStaticKeySchema, "api_token_static_keys")
