// Dev mode only: stands in for Flash's gateway (Oathkeeper's id_token mutator)
// by signing RS256 user-session JWTs with `sub` = user id. Its key is generated
// once into the data dir so sessions survive a restart.
import { randomUUID } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { exportJWK, generateKeyPair, importJWK, JWK, SignJWT } from "jose"

export const DEV_SESSION_TTL_SECONDS = 24 * 3600

export type DevSessionIssuer = {
  issuer: string
  jwks: () => { keys: JWK[] }
  issue: (userId: string) => Promise<{ token: string; expiresAt: Date }>
}

export const createDevSessionIssuer = async (opts: { dataDir: string; issuer: string }): Promise<DevSessionIssuer> => {
  const file = join(opts.dataDir, "dev-session-key.json")
  let privateJwk: JWK
  if (existsSync(file)) {
    privateJwk = JSON.parse(readFileSync(file, "utf8")) as JWK
  } else {
    const { privateKey } = await generateKeyPair("RS256", { extractable: true })
    privateJwk = { ...(await exportJWK(privateKey)), kid: `dev-session-${randomUUID()}`, alg: "RS256", use: "sig" }
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 })
    writeFileSync(file, JSON.stringify(privateJwk), { mode: 0o600 })
  }
  const key = await importJWK(privateJwk, "RS256")
  const { kty, n, e, kid, alg, use } = privateJwk
  const publicJwk: JWK = { kty, n, e, kid, alg, use }

  return {
    issuer: opts.issuer,
    jwks: () => ({ keys: [publicJwk] }),
    issue: async (userId) => {
      const expiresAt = new Date(Date.now() + DEV_SESSION_TTL_SECONDS * 1000)
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: "RS256", kid: publicJwk.kid ?? "dev", typ: "JWT" })
        .setIssuer(opts.issuer)
        .setSubject(userId)
        .setJti(randomUUID())
        .setIssuedAt()
        .setNotBefore("0s")
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(key)
      return { token, expiresAt }
    },
  }
}
