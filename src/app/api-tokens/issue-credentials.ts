// Shared by create and rotate: a new Hydra client bound to an existing token
// record. The client document is written first, so a crash between the two
// steps leaves a document reconciliation can find (never an unknown Hydra client).
import {
  ApiToken,
  ApiTokenClientId,
  buildApiTokenConnectionString,
  generateApiTokenClientId,
  generateApiTokenClientSecret,
} from "@/domain/api-tokens"
import type { ApiTokensDeps } from "./deps"

export const API_TOKEN_SECRET_WARNING =
  "Store the client secret now: it is not shown again. Anyone holding it can act for your account within the token's scopes."

export type ApiTokenCreated = {
  token: ApiToken
  clientId: ApiTokenClientId
  clientSecret: string
  tokenEndpoint: string
  connectionString: string
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
  warning: API_TOKEN_SECRET_WARNING,
})
