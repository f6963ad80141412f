// Shared by create and rotate: a new Hydra client bound to an existing token
// record. The client document is written first, so a crash between the two
// steps leaves a document reconciliation can find (never an unknown Hydra client).
import {
  ApiToken,
  ApiTokenClientId,
  buildApiTokenConnectionString,
  buildPluginConnectionString,
  generateApiTokenClientId,
  generateApiTokenClientSecret,
  staticKeyDigests,
} from "@/domain/api-tokens"
import type { ApiTokensDeps } from "./deps"

export const API_TOKEN_SECRET_WARNING =
  "Store the client secret now: it is not shown again. Anyone holding it can act for your account within the token's scopes."

/** One sentence each: how to use the token (after the storage warning). */
export const oauth2OnlyUsage = (tokenEndpoint: string) =>
  `This token is OAuth2-only: exchange its id and secret at ${tokenEndpoint} (client credentials) for a short-lived access token, or create a token with the static-key option to send the secret itself as the Bearer.`
export const STATIC_KEY_USAGE =
  "This token is a static key: send it as Authorization: Bearer on every request (as the BTCPay Flash plugin 1.5.x does), so prefer an OAuth2 token wherever the client supports it."

export type ApiTokenCreated = {
  token: ApiToken
  clientId: ApiTokenClientId
  clientSecret: string
  tokenEndpoint: string
  connectionString: string
  /** The plugin's own `type=flash;server=…;token=…`; static-key tokens only. */
  pluginConnectionString: string | undefined
  warning: string
}

export const issueCredentials = async (token: ApiToken, deps: ApiTokensDeps) => {
  const clientId = generateApiTokenClientId()
  const clientSecret = generateApiTokenClientSecret()
  const inserted = await deps.repo.insertClient({
    clientId,
    tokenId: token.id,
    accountId: token.accountId,
    createdAt: new Date(),
    notAfter: undefined,
  })
  if (inserted instanceof Error) return inserted
  // Written for every secret, so a Bearer of a token that did not opt in is
  // recognised (and answered API_TOKEN_OAUTH2_ONLY) with the same one lookup.
  const key = await deps.repo.insertStaticKey({
    ...staticKeyDigests(clientSecret),
    tokenId: token.id,
    clientId,
    staticKey: token.staticKey === true,
    createdAt: new Date(),
  })
  if (key instanceof Error) {
    await deps.repo.deleteClient(clientId)
    return key
  }
  const created = await deps.hydra.createClient({
    clientId,
    clientSecret,
    tokenId: token.id,
    accountId: token.accountId,
    name: token.name,
    scopes: token.scopes,
    authMethod: token.authMethod ?? "client_secret_basic",
    accessTokenLifespanSeconds: deps.policy.accessTokenLifespanSeconds,
  })
  if (created instanceof Error) {
    // Hydra may have created it before failing to answer: delete on both sides.
    await deps.hydra.deleteClient(clientId)
    await deps.repo.deleteClient(clientId)
    return created
  }
  return { clientId, clientSecret }
}

export const presentCreated = (
  token: ApiToken,
  creds: { clientId: ApiTokenClientId; clientSecret: string },
  deps: ApiTokensDeps,
): ApiTokenCreated => ({
  token,
  clientId: creds.clientId,
  clientSecret: creds.clientSecret,
  tokenEndpoint: deps.policy.tokenEndpoint,
  connectionString: buildApiTokenConnectionString({
    server: deps.policy.graphqlUrl,
    tokenUrl: deps.policy.tokenEndpoint,
    clientId: creds.clientId,
    clientSecret: creds.clientSecret,
    authMethod: token.authMethod,
  }),
  pluginConnectionString: token.staticKey
    ? buildPluginConnectionString({ server: deps.policy.graphqlUrl, token: creds.clientSecret })
    : undefined,
  warning: `${API_TOKEN_SECRET_WARNING} ${token.staticKey ? STATIC_KEY_USAGE : oauth2OnlyUsage(deps.policy.tokenEndpoint)}`,
})
