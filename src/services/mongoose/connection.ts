// One mongoose connection per process, shared by every repository.
import mongoose from "mongoose"

export const connectMongo = async (uri: string) => {
  mongoose.set("strictQuery", true)
  await mongoose.connect(uri, { serverSelectionTimeoutMS: 5000, connectTimeoutMS: 5000 })
  // Build every unique index now, so invariants hold from the first request.
  await Promise.all(Object.values(mongoose.models).map((m) => m.syncIndexes()))
  return mongoose.connection
}

export const disconnectMongo = () => mongoose.disconnect()

export const pingMongo = async (): Promise<true | Error> => {
  try {
    const db = mongoose.connection.db
    if (!db || mongoose.connection.readyState !== 1) return new Error("not connected")
    await db.admin().command({ ping: 1 })
    return true
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e))
  }
}

export const isDuplicateKeyError = (e: unknown) =>
  typeof e === "object" && e !== null && "code" in e && (e as { code: unknown }).code === 11000
