// The fixed dev price feed: 1 BTC = 100,000 USD, so 1 cent = 10 sats exactly.
// Integer arithmetic only; a payer is charged rounded up, a receiver gets
// rounded down, so conversion never creates money.
import type { WalletCurrency } from "../accounts"

export const DEV_BTC_USD_PRICE = 100_000
export const SATS_PER_BTC = 100_000_000
/** Sats per USD cent at the dev price (an integer by construction). */
export const SATS_PER_CENT = SATS_PER_BTC / (DEV_BTC_USD_PRICE * 100)

export const centsToSats = (cents: number) => cents * SATS_PER_CENT
export const satsToCentsFloor = (sats: number) => Math.floor(sats / SATS_PER_CENT)
export const satsToCentsCeil = (sats: number) => Math.ceil(sats / SATS_PER_CENT)

/** Converts a sat amount into the minor unit of `currency`; `round` says which way cents go. */
export const satsToMinor = (sats: number, currency: WalletCurrency, round: "up" | "down") =>
  currency === "BTC" ? sats : round === "up" ? satsToCentsCeil(sats) : satsToCentsFloor(sats)
export const minorToSats = (amount: number, currency: WalletCurrency) =>
  currency === "BTC" ? amount : centsToSats(amount)

/**
 * What a payment is worth in sats and in USD cents, for an API token's budget:
 * the sender's own amount in its unit, the other unit converted at the
 * payment's price and rounded up (a USD sender is charged whole cents, so its
 * cents are worth at least the sats the payment moves), so a budget errs
 * towards refusing.
 */
export const paymentValue = (p: { senderAmount: number; senderCurrency: WalletCurrency }): { sats: number; cents: number } =>
  p.senderCurrency === "BTC"
    ? { sats: p.senderAmount, cents: satsToCentsCeil(p.senderAmount) }
    : { sats: centsToSats(p.senderAmount), cents: p.senderAmount }
