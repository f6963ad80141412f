// The GraphQL documents of the BTCPay Flash plugin as released (lnflash/btcpayserver-flash-plugin
// v1.5.2, commit 5562504), copied verbatim from its C# sources (verbatim strings: `""` is one quote,
// and the one interpolated string, `{{`/`}}` braces and `{limit}`, is expanded with every limit the
// plugin passes). Five ask for fields Flash lacks; the plugin falls back from those errors.

export type PluginDocument = { source: string; query: string }

const GET_TRANSACTION_HISTORY_LIMITS = [5, 10, 20, 50, 100] // GetTransactionHistoryAsync(limit) call sites

export const btcpayPluginDocuments: PluginDocument[] = [
  {
    source: "FlashLightningClient.cs:749",
    query: `mutation lnInvoicePaymentSend($input: LnInvoicePaymentInput!) {
  lnInvoicePaymentSend(input: $input) {
    status
    errors {
      message
      code
    }
  }
}`,
  },
  {
    source: "FlashLightningClient.cs:843",
    query: `mutation lnNoAmountUsdInvoicePaymentSend($input: LnNoAmountUsdInvoicePaymentInput!) {
  lnNoAmountUsdInvoicePaymentSend(input: $input) {
    status
    errors {
      message
      code
    }
  }
}`,
  },
  {
    source: "FlashLightningClient.cs:882",
    query: `mutation lnNoAmountInvoicePaymentSend($input: LnNoAmountInvoicePaymentInput!) {
  lnNoAmountInvoicePaymentSend(input: $input) {
    status
    errors {
      message
      code
    }
  }
}`,
  },
  {
    source: "FlashLightningClient.cs:1223",
    query: `query getTransactions {
  transactions {
    id
    amount
    direction
    createdAt
    status
  }
}`,
  },
  {
    source: "FlashLightningClient.cs:1390",
    query: `query GetWalletTransactions {
  me {
    defaultAccount {
      wallets {
        id
        transactions {
          edges {
            node {
              id
              status
              direction
              settlementAmount
              createdAt
              memo
            }
          }
        }
      }
    }
  }
}`,
  },
  {
    source: "FlashLightningClient.cs:1665",
    query: `query GetTransactions {
  me {
    defaultAccount {
      wallets {
        id
        transactions {
          edges {
            node {
              id
              status
              direction
              settlementAmount
              createdAt
              memo
            }
          }
        }
      }
    }
  }
}`,
  },
  {
    source: "FlashLightningClient.cs:2373",
    query: `query getInvoiceData($invoice: String!) {
    decodeInvoice(invoice: $invoice) {
        paymentHash
        paymentRequest
        amount
        timestamp
        expiry
        network
    }
}`,
  },
  {
    source: "FlashLightningClient.cs:2906",
    query: `query getRecentTransactions {
  me {
    defaultAccount {
      wallets {
        id
        transactions(first: 20) {
          edges {
            node {
              id
              direction
              settlementAmount
              status
              createdAt
              memo
            }
          }
        }
      }
    }
  }
}`,
  },
  {
    source: "FlashLightningClient.cs:3122",
    query: `query getRecentTransactions {
  me {
    defaultAccount {
      wallets {
        id
        transactions(first: 10) {
          edges {
            node {
              id
              direction
              settlementAmount
              status
              createdAt
              memo
            }
          }
        }
      }
    }
  }
}`,
  },
  {
    source: "FlashLightningClient.cs:3961",
    query: `query realtimePrice {
  realtimePrice(currency: "BTC", unit: "USD") {
    base
    offset
    currencyUnit
    formattedAmount
  }
}`,
  },
  {
    source: "FlashLightningClient.cs:4200",
    query: `query getRealTimePrice {
  realtimePrice {
    btcToCurrency(currency: "USD") {
      base
      currency
      price
    }
  }
}`,
  },
  {
    source: "Services/FlashConnectionValidator.cs:130",
    query: `{
    me {
        defaultAccount {
            id
        }
    }
}`,
  },
  {
    source: "Services/FlashGraphQLService.cs:222",
    query: `query getWallets {
  me {
    defaultAccount {
      wallets {
        id
        walletCurrency
        balance
      }
    }
  }
}`,
  },
  {
    source: "Services/FlashGraphQLService.cs:334",
    query: `query realtimePrice {
  realtimePrice(currency: "USD") {
    btcSatPrice {
      base
      offset
    }
    usdCentPrice {
      base
      offset
    }
  }
}`,
  },
  {
    source: "Services/FlashGraphQLService.cs:429",
    query: `query getInvoiceData($invoice: String!) {
    decodeInvoice(invoice: $invoice) {
        paymentHash
        paymentRequest
        amount
        timestamp
        expiry
        network
    }
}`,
  },
  ...GET_TRANSACTION_HISTORY_LIMITS.map((limit) => ({
    source: "Services/FlashGraphQLService.cs:496 (limit " + limit + ")",
    query: `query getTransactionHistory {
  me {
    defaultAccount {
      wallets {
        id
        transactions(first: ${limit}) {
          edges {
            node {
              id
              direction
              settlementAmount
              status
              createdAt
              memo
            }
          }
        }
      }
    }
  }
}`,
  })),
  {
    source: "Services/FlashInvoiceService.cs:604",
    query: `mutation lnUsdInvoiceCreate($input: LnUsdInvoiceCreateInput!) {
  lnUsdInvoiceCreate(input: $input) {
    invoice {
      paymentHash
      paymentRequest
      paymentSecret
      satoshis
    }
    errors {
      message
    }
  }
}`,
  },
  {
    source: "Services/FlashPaymentService.cs:696",
    query: `mutation lnInvoicePaymentSend($input: LnInvoicePaymentInput!) {
  lnInvoicePaymentSend(input: $input) {
    status
    errors {
      message
      code
    }
  }
}`,
  },
  {
    source: "Services/FlashSimpleInvoiceService.cs:71",
    query: `mutation LnInvoiceCreate($input: LnInvoiceCreateInput!) {
    lnInvoiceCreate(input: $input) {
        invoice {
            paymentHash
            paymentRequest
            paymentSecret
            satoshis
        }
        errors {
            message
        }
    }
}`,
  },
  {
    source: "Services/FlashWebSocketService.cs:357",
    query: `subscription InvoicePaymentStatus($input: LnInvoicePaymentStatusInput!) {
    lnInvoicePaymentStatus(input: $input) {
        status
        errors {
            message
        }
    }
}`,
  },
  {
    source: "Services/FlashWebSocketService.cs:435",
    query: `mutation LnInvoiceCreate($input: LnInvoiceCreateInput!) {
    lnInvoiceCreate(input: $input) {
        invoice {
            paymentHash
            paymentRequest
            paymentSecret
            satoshis
        }
        errors {
            message
        }
    }
}`,
  },
]
