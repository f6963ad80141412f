// Tokens for tests: real dev sessions from the running API, and forged JWTs
// signed with the dev issuer's key (read from the data dir) or a foreign key.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { importJWK, JWK, SignJWT } from "jose"
import { testStack } from "../harness/stack-state"

import { randomPhone } from "./phone"

export { randomPhone }

export const devSession = async (phone = randomPhone()) => {
  const res = await fetch(`${testStack().urls.api}/dev/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ phone }),
  })
  if (!res.ok) throw new Error(`dev session failed: ${res.status}`)
  return (await res.json()) as { token: string; userId: string; accountId: string }
}

export const devSessionKey = () =>
  JSON.parse(readFileSync(join(testStack().dataDir, "dev-session-key.json"), "utf8")) as JWK

export const sessionIssuer = () => `${testStack().urls.api}/dev`

/** Signs arbitrary claims with the dev session issuer's private key. */
export const signWithDevKey = async (claims: Record<string, unknown>, header: Record<string, unknown> = {}) => {
  const jwk = devSessionKey()
  const key = await importJWK(jwk, "RS256")
  return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: jwk.kid!, ...header }).sign(key)
}

export const now = () => Math.floor(Date.now() / 1000)

export const graphqlPost = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(testStack().urls.graphql, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  })
