// One phone-number generator for every test. The tests of a run share one
// store, and a phone names an account (POST /dev/session and
// findOrCreateByPhone find the account a phone already has): two tests drawing
// the same number share an account and see each other's payments. Seven random
// digits gave that about once in a hundred runs; thirteen make it negligible.
import { randomInt } from "node:crypto"
import { checkedToPhoneNumber, PhoneNumber } from "@/domain/accounts"

export const randomPhone = (): PhoneNumber => {
  const phone = checkedToPhoneNumber(`+1${String(randomInt(0, 10 ** 13)).padStart(13, "0")}`)
  if (phone instanceof Error) throw phone
  return phone
}
