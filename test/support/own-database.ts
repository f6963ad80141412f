// For a test file that must not share data with the others: its mongoose
// connection goes to a database of its own on the stack's FerretDB, dropped
// at the end (e.g. a recovery run with a grace of milliseconds, or a ledger
// entry that would stop other files' API processes from starting).
import { randomBytes } from "node:crypto"
import mongoose from "mongoose"
import { connectMongo } from "@/services/mongoose/connection"
import { testStack } from "../harness/stack-state"

export const useOwnDatabase = (prefix: string) => {
  beforeAll(async () => {
    const uri = new URL(testStack().urls.mongodb)
    uri.pathname = `/${prefix}_${randomBytes(4).toString("hex")}`
    await connectMongo(uri.toString())
  })
  afterAll(async () => {
    await mongoose.connection.dropDatabase()
    await mongoose.disconnect()
  })
}
