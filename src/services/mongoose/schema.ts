// Mongo collections for users, accounts and wallets. Ids are UUID strings.
import mongoose, { Schema } from "mongoose"

const UserSchema = new Schema(
  {
    _id: { type: String, required: true },
    phone: { type: String, required: true, unique: true },
    createdAt: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false },
)

const AccountSchema = new Schema(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true, unique: true },
    defaultWalletId: { type: String, required: true },
    status: { type: String, enum: ["ACTIVE", "LOCKED"], required: true, default: "ACTIVE" },
    /** Stamped by every change that narrows what the account's credentials may do (lock): the invalidation resync reads it. */
    changedAt: { type: Date },
    /** changedAt's minute (time-buckets.ts): the resync's lookup. */
    changeBucket: { type: String, index: true },
    createdAt: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false },
)

const WalletSchema = new Schema(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true, index: true },
    currency: { type: String, enum: ["BTC", "USD"], required: true },
    createdAt: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false },
)
// One wallet per currency per account.
WalletSchema.index({ accountId: 1, currency: 1 }, { unique: true })

// A username names one account; the unique _id keeps it so even under races.
const UsernameSchema = new Schema(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true, index: true },
  },
  { versionKey: false },
)

export const UsernameModel = mongoose.model("Username", UsernameSchema)
export const UserModel = mongoose.model("User", UserSchema)
export const AccountModel = mongoose.model("Account", AccountSchema)
export const WalletModel = mongoose.model("Wallet", WalletSchema)
