// Client codes of the wallet and payment errors (src/domain/wallets).
import type { ErrorMapping } from "./mapping"

type WalletErrorName =
  | "InvalidAmountError"
  | "InvalidMemoError"
  | "InvalidExpiryError"
  | "InvalidPaymentRequestError"
  | "InvalidIdempotencyKeyError"
  | "IdempotencyKeyReusedError"
  | "WrongWalletCurrencyError"
  | "AmountInvoiceExpectedError"
  | "NoAmountInvoiceExpectedError"
  | "WalletNotFoundError"
  | "RecipientWalletNotFoundError"
  | "InvoiceNotFoundError"
  | "InvoiceExpiredError"
  | "InvoiceAlreadyPaidError"
  | "InsufficientBalanceError"
  | "SelfPaymentError"
  | "PaymentInProgressError"
  | "NotAuthenticatedError"
  | "LightningServiceError"

export const walletErrorTable = {
  InvalidAmountError: { code: "INVALID_AMOUNT", message: (e) => `Invalid amount: ${e.message}` },
  InvalidMemoError: { code: "INVALID_MEMO", message: (e) => e.message },
  InvalidExpiryError: { code: "INVALID_EXPIRY", message: (e) => e.message },
  InvalidPaymentRequestError: { code: "INVALID_PAYMENT_REQUEST", message: "Invalid payment request: not a BOLT11 invoice of this network" },
  InvalidIdempotencyKeyError: { code: "INVALID_IDEMPOTENCY_KEY", message: (e) => e.message },
  IdempotencyKeyReusedError: { code: "IDEMPOTENCY_KEY_REUSED", message: (e) => e.message },
  WrongWalletCurrencyError: { code: "INVALID_WALLET_CURRENCY", message: (e) => e.message },
  AmountInvoiceExpectedError: { code: "INVOICE_HAS_NO_AMOUNT", message: (e) => e.message },
  NoAmountInvoiceExpectedError: { code: "INVOICE_HAS_AMOUNT", message: (e) => e.message },
  WalletNotFoundError: { code: "WALLET_NOT_FOUND", message: "Wallet not found" },
  RecipientWalletNotFoundError: { code: "RECIPIENT_WALLET_NOT_FOUND", message: "Recipient wallet not found" },
  InvoiceNotFoundError: { code: "INVOICE_NOT_FOUND", message: "Invoice not found" },
  InvoiceExpiredError: { code: "INVOICE_EXPIRED", message: "The invoice has expired" },
  InvoiceAlreadyPaidError: { code: "INVOICE_ALREADY_PAID", message: "The invoice is already paid" },
  InsufficientBalanceError: { code: "INSUFFICIENT_BALANCE", message: "Payment amount exceeds the wallet balance" },
  SelfPaymentError: { code: "CANNOT_PAY_SELF", message: "A wallet cannot pay itself" },
  PaymentInProgressError: { code: "PAYMENT_IN_PROGRESS", message: "This invoice is being paid, try again shortly" },
  NotAuthenticatedError: { code: "UNAUTHENTICATED", message: "Not authenticated" },
  LightningServiceError: { code: "LIGHTNING_UNAVAILABLE", message: "The Lightning node is unavailable, try again" },
} satisfies Record<WalletErrorName, ErrorMapping>
