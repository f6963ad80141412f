// Validates rendered Kubernetes objects (e.g. `helm template` output) against
// the Kubernetes schemas, offline, with kubernetes-models (ESM only, hence a
// script of its own: the Jest tests run it as a child process).
//
//   node scripts/validate-k8s.mjs rendered.yaml     (or YAML on stdin)
//
// Prints a JSON report {objects: [{apiVersion, kind, name, ok, errors}], errors}
// and exits 1 when any object fails its schema, has an apiVersion/kind
// kubernetes-models does not know, or the YAML does not parse.
import { readFileSync } from "node:fs"
import { parseAllDocuments } from "yaml"

const source = process.argv[2] ? readFileSync(process.argv[2], "utf8") : readFileSync(0, "utf8")

const report = { objects: [], errors: 0 }
const fail = (entry, message) => {
  entry.ok = false
  entry.errors.push(message)
}

/** kubernetes-models' module for an apiVersion: "v1" (core) or "<group>/<version>". */
const modelModule = async (apiVersion) => {
  if (!/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion)) return undefined
  try {
    return await import(`kubernetes-models/${apiVersion}`)
  } catch {
    return undefined
  }
}

for (const doc of parseAllDocuments(source)) {
  if (doc.errors.length) {
    report.objects.push({ ok: false, errors: doc.errors.map((e) => `YAML: ${e.message}`) })
    continue
  }
  const obj = doc.toJS()
  if (obj === null || obj === undefined) continue // an empty document (a template that rendered nothing)
  const entry = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata?.name, ok: true, errors: [] }
  report.objects.push(entry)
  if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") {
    fail(entry, "no apiVersion or kind")
    continue
  }
  const mod = await modelModule(obj.apiVersion)
  const Model = mod?.[obj.kind]
  if (typeof Model !== "function") {
    fail(entry, `unknown kind: kubernetes-models has no ${obj.kind} in ${obj.apiVersion}`)
    continue
  }
  try {
    new Model(obj).validate()
  } catch (e) {
    fail(entry, e instanceof Error ? e.message : String(e))
  }
}

report.errors = report.objects.filter((o) => !o.ok).length
process.stdout.write(JSON.stringify(report, null, 2) + "\n")
process.exit(report.errors === 0 && report.objects.length > 0 ? 0 : 1)
