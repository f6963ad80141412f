import { centsToSats, DEV_BTC_USD_PRICE, satsToCentsCeil, satsToCentsFloor, satsToMinor } from "@/domain/payments/price"
import {
  checkedToExpiryMinutes,
  checkedToIdempotencyKey,
  checkedToMemo,
  checkedToMinorAmount,
  InvalidAmountError,
  InvalidExpiryError,
  InvalidMemoError,
} from "@/domain/wallets"
import { mapError } from "@/graphql/error-map"
import { walletErrorTable } from "@/graphql/errors/wallets"
import * as walletErrors from "@/domain/wallets"

describe("amounts", () => {
  it.each([0, -1, 1.5, NaN, Infinity, "10", null, undefined, 2_100_000_000_000_001])("refuses %p", (raw) => {
    expect(checkedToMinorAmount(raw)).toBeInstanceOf(InvalidAmountError)
  })
  it("accepts a positive whole number", () => {
    expect(checkedToMinorAmount(1)).toBe(1)
  })
})

describe("the fixed dev price", () => {
  it("is 100,000 USD per BTC: one cent is ten sats", () => {
    expect(DEV_BTC_USD_PRICE).toBe(100_000)
    expect(centsToSats(1)).toBe(10)
  })
  it("charges a payer rounded up and credits a receiver rounded down, so conversion never creates money", () => {
    expect(satsToCentsCeil(15)).toBe(2)
    expect(satsToCentsFloor(15)).toBe(1)
    expect(satsToMinor(15, "USD", "up")).toBe(2)
    expect(satsToMinor(15, "BTC", "down")).toBe(15)
  })
})

describe("memo, expiry and idempotency key", () => {
  it("validates at the edge", () => {
    expect(checkedToMemo(undefined)).toBeUndefined()
    expect(checkedToMemo("x".repeat(1025))).toBeInstanceOf(InvalidMemoError)
    expect(checkedToExpiryMinutes(undefined)).toBe(24 * 60)
    expect(checkedToExpiryMinutes(undefined, 5)).toBe(5)
    expect(checkedToExpiryMinutes(0)).toBeInstanceOf(InvalidExpiryError)
    expect(checkedToIdempotencyKey("order-1")).toBe("order-1")
    expect(checkedToIdempotencyKey("with space")).toBeInstanceOf(Error)
  })
})

describe("wallet error table", () => {
  it("gives every wallet error class its own client code", () => {
    const classes = Object.entries(walletErrors).filter(([name, v]) => typeof v === "function" && name.endsWith("Error"))
    for (const [name, Cls] of classes) {
      const mapped = mapError(new (Cls as new (m: string) => Error)("x"))
      expect(mapped.code).not.toBe("INTERNAL_ERROR")
      expect(Object.keys(walletErrorTable)).toContain(name)
    }
  })
})
