// A throwaway certificate authority and a server certificate for loopback
// (IP 127.0.0.1, DNS localhost), made with openssl: what the production
// profile's TLS listeners present. Clients trust `caFile` (the API through
// NODE_EXTRA_CA_CERTS, Hydra through SSL_CERT_FILE, tests through `ca`).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { runToCompletion } from "./child-process"

export type LoopbackTls = { caFile: string; certFile: string; keyFile: string; ca: string }

export const createLoopbackTls = async (dir: string): Promise<LoopbackTls> => {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const f = (name: string) => join(dir, name)
  const env = { PATH: process.env.PATH, HOME: process.env.HOME }
  const openssl = async (args: string[]) => {
    const r = await runToCompletion("openssl", args, env, dir)
    if (r.code !== 0) throw new Error(`openssl ${args[0]} failed (exit ${r.code}): ${r.output.slice(-1000)}`)
  }
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
  await openssl(["req", "-x509", ...ec, "-days", "2", "-subj", "/CN=Flash production-profile test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    "-keyout", f("ca.key"), "-out", f("ca.pem")])
  await openssl(["req", ...ec, "-subj", "/CN=127.0.0.1", "-keyout", f("server.key"), "-out", f("server.csr")])
  writeFileSync(f("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
  await openssl(["x509", "-req", "-in", f("server.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial",
    "-days", "2", "-extfile", f("server.ext"), "-out", f("server.pem")])
  return { caFile: f("ca.pem"), certFile: f("server.pem"), keyFile: f("server.key"), ca: readFileSync(f("ca.pem"), "utf8") }
}
