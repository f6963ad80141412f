// Mongo collections of API tokens. FerretDB v1 has no partial indexes and no
// atomic conditional updates, so every invariant is a unique index on a key we
// maintain ourselves:
//   apitokens.activeNameKey  `accountId:lowercased name` while the token is
//                            PENDING/ACTIVE and unexpired; the token id once it is
//                            revoked or cleaned up → names unique among active tokens
//   apitokenclients._id      the Hydra client id → one token per client
//   apitokenslots._id        `accountId:slotN` for N < max → at most max active tokens
// No secret and no secret hash is stored anywhere: Hydra keeps the (PBKDF2) hash.
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
    expiresAt: { type: Date },
    revokedAt: { type: Date },
    lastUsedAt: { type: Date },
    /** Set when an expired token's Hydra clients were deleted and its name and slot released. */
    cleanedAt: { type: Date },
    /**
     * Stamped by every change that narrows what the token's credentials may do
     * (revocation, rotation, an edit): the invalidation resync reads it.
     */
    changedAt: { type: Date, index: true },
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
    /** Set once the client was deleted from Hydra (revocation, rotation, cleanup). */
    removedAt: { type: Date },
  },
  { versionKey: false },
)

const ApiTokenSlotSchema = new Schema(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true, index: true },
    tokenId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
)

export const ApiTokenModel = mongoose.model("ApiToken", ApiTokenSchema)
export const ApiTokenClientModel = mongoose.model("ApiTokenClient", ApiTokenClientSchema)
export const ApiTokenSlotModel = mongoose.model("ApiTokenSlot", ApiTokenSlotSchema)
