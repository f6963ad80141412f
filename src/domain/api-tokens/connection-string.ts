// The BTCPay Server Flash plugin's connection string, extended for OAuth2.
//
// The plugin (lnflash/btcpayserver-flash-plugin, FlashLightningConnectionStringHandler.Parse)
// reads `key=value` pairs separated by `;`, splits each pair at the first `=`,
// trims both sides, and requires `type=flash` and `server=<absolute URL>` (today
// also `token=<static bearer>`). We keep that grammar and its keys, and put the
// client-credentials grant in new keys:
//
//   type=flash;server=<GraphQL URL>;token-url=<OAuth2 token URL>;client-id=<id>;client-secret=<secret>
//
// A plugin that understands `client-id`/`client-secret`/`token-url` fetches the
// bearer itself (client_credentials, HTTP Basic) and refreshes it before `exp`.
// A static-key token also gets the plugin's own format, `type=flash;server=…;token=…`
// (buildPluginConnectionString), which the released plugin reads as it is.
// None of our values contains `;`, and URLs may contain `=` (split at the first one).
export type ApiTokenConnectionStringParts = {
  server: string
  tokenUrl: string
  clientId: string
  clientSecret: string
  authMethod?: "client_secret_basic" | "client_secret_post"
}

export const buildApiTokenConnectionString = (p: ApiTokenConnectionStringParts): string => {
  const pairs: Array<[string, string]> = [
    ["type", "flash"],
    ["server", p.server],
    ["token-url", p.tokenUrl],
    ["client-id", p.clientId],
    ["client-secret", p.clientSecret],
  ]
  if (p.authMethod === "client_secret_post") pairs.push(["auth-method", "client_secret_post"])
  return pairs.map(([k, v]) => `${k}=${v}`).join(";")
}

/**
 * The released plugin's own format (v1.5.x, `GenerateConnectionString`), for a
 * static-key token only: `token` is the secret the plugin sends as its Bearer.
 */
export const buildPluginConnectionString = (p: { server: string; token: string }): string =>
  `type=flash;server=${p.server};token=${p.token}`

/** The same parsing rules as the plugin's `Parse`, for tests and tooling. */
export const parseApiTokenConnectionString = (s: string): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const param of s.split(";")) {
    if (!param) continue
    const i = param.indexOf("=")
    if (i < 0) throw new Error("Invalid connection string parameter format")
    out[param.slice(0, i).trim()] = param.slice(i + 1).trim()
  }
  return out
}
