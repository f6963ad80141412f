// The deployment's charts, checked offline (issue 19, parts 1 and 2): the API's
// chart passes `helm lint`, renders with its default and its production values,
// every rendered object validates against the Kubernetes schemas
// (scripts/validate-k8s.mjs, kubernetes-models), and the rendering keeps the
// chart's promises (probes, heap flag, resources, Secret and ConfigMap, metrics
// Service, Ingress TLS, HPA, PDB, the NetworkPolicy on Hydra's admin port). The
// key-set Job's script runs against the test stack's real Hydra. Ory's Hydra
// chart is not available offline, so deploy/hydra-values.yaml is read and its
// keys checked against hydra/hydra.yml and the API chart.
//
// Helm is pinned in helm/go.mod and built once into .cache/bin (about 2-4 min
// the first time, progress on stderr); without Go this fails, it never skips.
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parse, parseAllDocuments } from "yaml"
import { binaryPath, ensureBinaries, GoMissingError } from "@/stack/go-build"
import { repoRoot } from "@/stack/paths"
import { TOKEN_HOOK_PATH } from "@/servers/hooks/hydra-token-hook"
import { API_MAX_OLD_SPACE_MB } from "@/stack/api-node-flags"
import { testStack } from "../harness/stack-state"

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are untyped YAML */
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: any; data?: Record<string, string> }

const chartDir = join(repoRoot, "deploy", "helm", "flash-api-tokens")
const productionValues = join(chartDir, "values-production.yaml")
const hydraValuesFile = join(repoRoot, "deploy", "hydra-values.yaml")
const RELEASE = "flash-api-tokens"
const NAMESPACE = "flash"
const MEASURED_PEAK_RSS_MB = 210 // docs/benchmarks.md, "Memory (row 8)"

const work = mkdtempSync(join(tmpdir(), "helm-chart-test-"))
// Helm's own cache and config in a scratch dir: nothing read from or written to $HOME.
const helmEnv: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: work,
  HELM_CACHE_HOME: join(work, "cache"),
  HELM_CONFIG_HOME: join(work, "config"),
  HELM_DATA_HOME: join(work, "data"),
}
afterAll(() => rmSync(work, { recursive: true, force: true }))

const helm = (args: string[]) => {
  const r = spawnSync(binaryPath("helm"), args, { env: helmEnv, encoding: "utf8", timeout: 60_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const render = (extraArgs: string[] = []): K8sObject[] => {
  const r = helm(["template", RELEASE, chartDir, "--namespace", NAMESPACE, ...extraArgs])
  if (r.code !== 0) throw new Error(`helm template ${extraArgs.join(" ")} failed (exit ${r.code}):\n${r.stderr}`)
  return parseAllDocuments(r.stdout)
    .map((d) => {
      if (d.errors.length) throw new Error(`helm template printed invalid YAML: ${d.errors[0]!.message}`)
      return d.toJS() as K8sObject | null
    })
    .filter((o): o is K8sObject => o !== null)
}

/** scripts/validate-k8s.mjs on the objects (kubernetes-models is ESM only, Jest here is CommonJS). */
const validate = (objects: K8sObject[], name: string) => {
  const file = join(work, `${name}.yaml`)
  writeFileSync(file, objects.map((o) => `---\n${JSON.stringify(o)}\n`).join(""))
  const r = spawnSync(process.execPath, [join(repoRoot, "scripts", "validate-k8s.mjs"), file], { encoding: "utf8", cwd: repoRoot })
  const report = JSON.parse(r.stdout) as { objects: { kind: string; name: string; ok: boolean; errors: string[] }[]; errors: number }
  return { code: r.status, report, failures: report.objects.filter((o) => !o.ok) }
}

const only = (objects: K8sObject[], kind: string): K8sObject[] => objects.filter((o) => o.kind === kind)
const one = (objects: K8sObject[], kind: string, name?: string): K8sObject => {
  const found = only(objects, kind).filter((o) => name === undefined || o.metadata.name === name)
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ""}, rendered ${found.length}`)
  return found[0]!
}
const apiContainer = (objects: K8sObject[]) => {
  const d = one(objects, "Deployment")
  return d.spec.template.spec.containers.find((c: any) => c.name === "api")
}
const mebibytes = (q: string) => {
  const m = /^(\d+)(Mi|Gi|M|G)$/.exec(q)
  if (!m) throw new Error(`unexpected memory quantity ${q}`)
  const n = Number(m[1])
  return { Mi: n, Gi: n * 1024, M: (n * 1e6) / 2 ** 20, G: (n * 1e9) / 2 ** 20 }[m[2] as "Mi" | "Gi" | "M" | "G"]
}
const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v)

let defaults: K8sObject[]
let production: K8sObject[]
const defaultValues = parse(readFileSync(join(chartDir, "values.yaml"), "utf8"))
const prodValues = parse(readFileSync(productionValues, "utf8"))

beforeAll(async () => {
  try {
    await ensureBinaries((line) => process.stderr.write(`${line}\n`), ["helm"])
  } catch (e) {
    if (e instanceof GoMissingError) {
      throw new Error("Go (1.24 or newer) is needed to build Helm for this test (pinned in helm/go.mod, built once into .cache/bin), and `go` was not found on PATH.")
    }
    throw e
  }
  defaults = render()
  production = render(["-f", productionValues])
}, 15 * 60_000)

describe("the API's Helm chart", () => {
  it("passes helm lint with the default and the production values", () => {
    for (const args of [[], ["-f", productionValues]]) {
      const r = helm(["lint", chartDir, "--strict", ...args])
      expect({ args, code: r.code, out: r.stdout + r.stderr }).toMatchObject({ code: 0 })
    }
  })

  it("renders only objects that validate against the Kubernetes schemas, offline", () => {
    for (const [name, objects] of [["defaults", defaults], ["production", production]] as const) {
      const v = validate(objects, name)
      expect({ name, failures: v.failures }).toEqual({ name, failures: [] })
      expect(v.code).toBe(0)
      expect(v.report.objects).toHaveLength(objects.length)
    }
    expect(only(defaults, "HorizontalPodAutoscaler")).toHaveLength(0)
    expect(only(defaults, "Ingress")).toHaveLength(0)
    expect(new Set(production.map((o) => o.kind))).toEqual(
      new Set(["Deployment", "Service", "ConfigMap", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy", "Job", "ServiceAccount"]),
    )
  })

  it("the validator itself refuses a schema error and an unknown kind", () => {
    const bad = validate(
      [
        { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" }, spec: { replicas: "two", selector: {}, template: {} } },
        { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "y" } },
      ],
      "bad",
    )
    expect(bad.code).toBe(1)
    expect(bad.failures.map((f) => f.errors.join(" "))).toEqual([expect.stringContaining("replicas must be integer"), expect.stringContaining("unknown kind")])
  })

  it("probes readiness on /readyz and liveness on /healthz, on the API's port", () => {
    for (const objects of [defaults, production]) {
      const c = apiContainer(objects)
      expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" })
      expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" })
      expect(c.startupProbe.httpGet.path).toBe("/healthz")
      expect(c.ports).toContainEqual({ name: "http", containerPort: 4012, protocol: "TCP" })
    }
  })

  it("runs with the heap flag in NODE_OPTIONS and resources sized from the measured RSS", () => {
    for (const objects of [defaults, production]) {
      const c = apiContainer(objects)
      const nodeOptions = c.env.find((e: any) => e.name === "NODE_OPTIONS")
      expect(nodeOptions.value).toMatch(new RegExp(`(^| )--max-old-space-size=${API_MAX_OLD_SPACE_MB}( |$)`))
      const { requests, limits } = c.resources
      expect(requests.cpu).toBeDefined()
      // The request covers the measured peak; the limit sits above the heap cap (V8 stops a runaway heap, not the OOM killer).
      expect(mebibytes(requests.memory)).toBeGreaterThanOrEqual(MEASURED_PEAK_RSS_MB)
      expect(mebibytes(limits.memory)).toBeGreaterThan(API_MAX_OLD_SPACE_MB)
    }
    const flagged = render(["--set", "heapMaxOldSpaceMB=768", "--set", "extraNodeOptions=--trace-warnings"])
    expect(apiContainer(flagged).env.find((e: any) => e.name === "NODE_OPTIONS").value).toBe("--max-old-space-size=768 --trace-warnings")
  })

  it("reads its settings from a ConfigMap and the existing Secret, which it never creates", () => {
    for (const [objects, values] of [[defaults, defaultValues], [production, prodValues]]) {
      const c = apiContainer(objects)
      const cm = one(objects, "ConfigMap")
      expect(c.envFrom).toEqual([{ configMapRef: { name: cm.metadata.name } }])
      expect(cm.data).toMatchObject({ API_HOST: "0.0.0.0", API_PORT: "4012", METRICS_HOST: "0.0.0.0", METRICS_PORT: "9464", NODE_ENV: "production" })
      for (const name of ["HYDRA_PUBLIC_URL", "HYDRA_ADMIN_URL", "SESSION_JWKS_URL", "API_PUBLIC_URL", "TRUST_PROXY"]) expect(cm.data![name]).toBeTruthy()
      const fromSecret = Object.fromEntries(
        c.env.filter((e: any) => e.valueFrom?.secretKeyRef).map((e: any) => [e.name, e.valueFrom.secretKeyRef]),
      )
      expect(Object.keys(fromSecret).sort()).toEqual(["MONGODB_URI", "REDIS_URL", "SESSION_ISSUER", "TOKEN_HOOK_SECRET"])
      for (const [name, ref] of Object.entries<any>(fromSecret)) {
        expect(ref).toMatchObject({ name: values.existingSecret.name, key: values.existingSecret.keys[name] })
        // No secret value lands in the ConfigMap.
        expect(cm.data![name]).toBeUndefined()
      }
      expect(only(objects, "Secret")).toHaveLength(0)
    }
    // Several replicas share one sandbox Lightning node key, from the same Secret.
    const prodPod = one(production, "Deployment").spec.template.spec
    expect(prodPod.volumes).toContainEqual({
      name: "lightning-node-key",
      secret: { secretName: prodValues.existingSecret.name, defaultMode: 0o440, items: [{ key: prodValues.existingSecret.lightningNodeKey, path: "lightning-node.key" }] },
    })
    expect(apiContainer(production).volumeMounts).toContainEqual(expect.objectContaining({ mountPath: "/data/lightning-node.key", readOnly: true }))
    expect(one(defaults, "ConfigMap").data!.FLASH_DATA_DIR).toBe("/data")
    // Several replicas need Redis: production does not mark it optional.
    expect(apiContainer(production).env.find((e: any) => e.name === "REDIS_URL").valueFrom.secretKeyRef.optional).toBeUndefined()

    const noSecret = helm(["template", RELEASE, chartDir, "--set", "existingSecret.name="])
    expect(noSecret.code).not.toBe(0)
    expect(noSecret.stderr).toContain("existingSecret.name")
    const secretInConfig = helm(["template", RELEASE, chartDir, "--set", "config.MONGODB_URI=mongodb://x/y"])
    expect(secretInConfig.code).not.toBe(0)
    expect(secretInConfig.stderr).toContain("config.MONGODB_URI is read from the Secret")
  })

  it("serves metrics on a Service of their own, never on the API's Service or Ingress", () => {
    for (const objects of [defaults, production]) {
      const pods = one(objects, "Deployment").spec.template.metadata.labels
      const services = only(objects, "Service")
      const metrics = services.find((s) => s.metadata.name.endsWith("-metrics"))!
      const api = services.find((s) => s !== metrics)!
      expect(metrics.spec.ports).toEqual([{ name: "metrics", port: 9464, targetPort: "metrics", protocol: "TCP" }])
      expect(api.spec.ports.map((p: any) => p.targetPort)).toEqual(["http"])
      expect(selects(metrics.spec.selector, pods) && selects(api.spec.selector, pods)).toBe(true)
      expect(apiContainer(objects).ports).toContainEqual({ name: "metrics", containerPort: 9464, protocol: "TCP" })
      for (const ing of only(objects, "Ingress")) {
        for (const rule of ing.spec.rules) {
          for (const p of rule.http.paths) expect(p.backend.service).toEqual({ name: api.metadata.name, port: { name: "http" } })
        }
      }
    }
  })

  it("in production: TLS on every Ingress host (ws. included), an HPA owning the replica count, a PDB", () => {
    const ing = one(production, "Ingress")
    const hosts = ing.spec.rules.map((r: any) => r.host)
    expect(hosts).toEqual(expect.arrayContaining(["api.example.com", "ws.api.example.com"]))
    const tlsHosts = ing.spec.tls.flatMap((t: any) => t.hosts)
    for (const h of hosts) expect(tlsHosts).toContain(h)
    for (const t of ing.spec.tls) expect(t.secretName).toBeTruthy()

    const deployment = one(production, "Deployment")
    const hpa = one(production, "HorizontalPodAutoscaler")
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name })
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2)
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas)
    expect(hpa.spec.metrics[0].resource).toMatchObject({ name: "cpu", target: { type: "Utilization" } })
    expect(deployment.spec.replicas).toBeUndefined()
    expect(one(defaults, "Deployment").spec.replicas).toBe(defaultValues.replicaCount)

    for (const objects of [defaults, production]) {
      const pdb = one(objects, "PodDisruptionBudget")
      expect(pdb.spec.maxUnavailable ?? pdb.spec.minAvailable).toBeDefined()
      expect(selects(pdb.spec.selector.matchLabels, one(objects, "Deployment").spec.template.metadata.labels)).toBe(true)
    }
  })

  it("lets only the API's pods (and its key-set Job) reach Hydra's admin port", () => {
    for (const objects of [defaults, production]) {
      const np = one(objects, "NetworkPolicy")
      const apiPods = one(objects, "Deployment").spec.template.metadata.labels
      const jobPods = one(objects, "Job").spec.template.metadata.labels
      expect(np.metadata.namespace).toBe("hydra")
      // Ory's chart labels Hydra's pods with its name and the release (release "hydra").
      expect(np.spec.podSelector.matchLabels).toEqual({ "app.kubernetes.io/name": "hydra", "app.kubernetes.io/instance": "hydra" })
      expect(np.spec.policyTypes).toEqual(["Ingress"])
      const rules: any[] = np.spec.ingress
      // Every rule names its ports (a rule without ports would open all of them).
      for (const r of rules) expect(r.ports?.length).toBeGreaterThan(0)
      const opening = (port: number) => rules.filter((r) => r.ports.some((p: any) => p.port === port))
      expect(opening(4444).some((r) => r.from === undefined)).toBe(true)
      const admin = opening(4445)
      expect(admin).toHaveLength(1)
      expect(admin[0].from).toHaveLength(1)
      const peer = admin[0].from[0]
      expect(peer.namespaceSelector.matchLabels).toEqual({ "kubernetes.io/metadata.name": NAMESPACE })
      const matches = (labels: Record<string, string>) =>
        selects(peer.podSelector.matchLabels, labels) &&
        (peer.podSelector.matchExpressions ?? []).every((e: any) => e.operator === "In" && e.values.includes(labels[e.key]))
      expect(matches(apiPods)).toBe(true)
      expect(matches(jobPods)).toBe(true)
      expect(matches({ ...apiPods, "app.kubernetes.io/component": "metrics-scraper" })).toBe(false)
      expect(matches({ ...apiPods, "app.kubernetes.io/instance": "another-release" })).toBe(false)
    }
  })

  it("creates the ES256 key set before the API is installed, keeping an existing one (script run against the stack's Hydra)", async () => {
    const job = one(defaults, "Job")
    expect(job.metadata.annotations!["helm.sh/hook"]).toBe("pre-install,pre-upgrade")
    const container = job.spec.template.spec.containers[0]
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]))
    expect(env).toMatchObject({ KEY_SET: "hydra.jwt.access-token", ALG: "ES256", HYDRA_ADMIN_URL: defaultValues.config.HYDRA_ADMIN_URL })
    expect(container.command).toEqual(["/bin/sh", "-c"])

    // The same script, on a scratch key set of the test stack's Hydra.
    const stack = testStack()
    const keySet = `helm-chart-test-${process.pid}-${Date.now()}`
    const run = () =>
      spawnSync("/bin/sh", ["-c", container.args[0]], {
        encoding: "utf8",
        timeout: 60_000,
        env: { PATH: process.env.PATH, HYDRA_ADMIN_URL: stack.urls.hydraAdmin, KEY_SET: keySet, ALG: "ES256", WAIT_SECONDS: "30", JWKS_URL: stack.urls.jwks },
      })
    try {
      const first = run()
      expect({ code: first.status, out: first.stdout + first.stderr }).toMatchObject({ code: 0, out: expect.stringContaining(`created ${keySet} (ES256`) })
      expect(first.stdout).toContain("JWKS ready")
      const keys = (await (await fetch(`${stack.urls.hydraAdmin}/admin/keys/${keySet}`)).json()) as { keys: { alg: string; kid: string }[] }
      expect(keys.keys.map((k) => k.alg)).toEqual(["ES256"])
      const second = run()
      expect({ code: second.status, out: second.stdout }).toEqual({ code: 0, out: `${keySet} exists: kept\n` })
      const again = (await (await fetch(`${stack.urls.hydraAdmin}/admin/keys/${keySet}`)).json()) as typeof keys
      expect(again.keys.map((k) => k.kid)).toEqual(keys.keys.map((k) => k.kid))
    } finally {
      await fetch(`${stack.urls.hydraAdmin}/admin/keys/${keySet}`, { method: "DELETE" })
    }
  })
})

describe("the values for Ory's Hydra chart (deploy/hydra-values.yaml)", () => {
  // Ory's chart is not available offline: the values are read and checked, not rendered.
  const values = parse(readFileSync(hydraValuesFile, "utf8"))
  const ours = parse(readFileSync(join(repoRoot, "hydra", "hydra.yml"), "utf8"))
  const extraEnv: any[] = values.deployment.extraEnv
  const envValue = (name: string) => extraEnv.find((e) => e.name === name)

  it("names Ory's chart by repository and a version shipping the Hydra version hydra/go.mod pins", () => {
    const text = readFileSync(hydraValuesFile, "utf8")
    expect(text).toContain("helm repo add ory https://k8s.ory.sh/helm/charts")
    expect(text).toMatch(/helm install hydra ory\/hydra --version \d+\.\d+\.\d+/)
    const pinned = /github\.com\/ory\/hydra\/v2 (v[\d.]+)/.exec(readFileSync(join(repoRoot, "hydra", "go.mod"), "utf8"))![1]
    expect(values.image).toEqual({ repository: "oryd/hydra", tag: pinned })
  })

  it("gives Hydra a PostgreSQL DSN with the pool size, from the operator's Secret, and migrates first", () => {
    const dsn = envValue("DSN").value as string
    expect(dsn).toMatch(/^postgres:\/\/[^:]+:\$\(DB_PASSWORD\)@/)
    expect(dsn).toMatch(/[?&]max_conns=\d+/)
    expect(dsn).toMatch(/[?&]max_idle_conns=\d+/)
    // The variable it expands comes before it (Kubernetes expands $(VAR) only from earlier entries).
    expect(extraEnv.findIndex((e) => e.name === "DB_PASSWORD")).toBeLessThan(extraEnv.findIndex((e) => e.name === "DSN"))
    expect(envValue("DB_PASSWORD").valueFrom.secretKeyRef).toEqual({ name: values.secret.nameOverride, key: "db-password" })
    expect(values.secret).toMatchObject({ enabled: false })
    expect(values.hydra.config.dsn).toBeUndefined()
    expect(values.hydra.automigration).toMatchObject({ enabled: true })
    expect(values.hydra.dev).toBe(false)
  })

  it("points the token hook at the API chart's Service and path, with the secret from the environment", () => {
    const hook = values.hydra.config.oauth2.token_hook
    const api = one(defaults, "Service", RELEASE)
    const port = api.spec.ports[0].port === 80 ? "" : `:${api.spec.ports[0].port}`
    expect(hook.url).toBe(`http://${api.metadata.name}.${NAMESPACE}.svc.cluster.local${port}${TOKEN_HOOK_PATH}`)
    expect(hook.auth).toEqual(ours.oauth2.token_hook.auth)
    expect(envValue("OAUTH2_TOKEN_HOOK_AUTH_CONFIG_VALUE").valueFrom.secretKeyRef).toEqual({ name: values.secret.nameOverride, key: "token-hook-secret" })
  })

  it("keeps hydra.yml's configuration: PBKDF2 cost, JWT strategy, lifespans, claims", () => {
    const c = values.hydra.config
    expect(c.oauth2.hashers).toEqual(ours.oauth2.hashers)
    expect(c.oauth2.hashers).toEqual({ algorithm: "pbkdf2", pbkdf2: { iterations: 1 } })
    expect(c.strategies).toEqual(ours.strategies)
    expect(c.ttl).toEqual(ours.ttl)
    expect(c.oauth2.client_credentials).toEqual(ours.oauth2.client_credentials)
    expect(c.oauth2.allowed_top_level_claims).toEqual(ours.oauth2.allowed_top_level_claims)
    expect(c.serve.public.port).toBe(ours.serve.public.port)
    expect(c.serve.admin.port).toBe(ours.serve.admin.port)
    expect(c.urls.self.issuer).toMatch(/^https:\/\//)
  })

  it("never exposes the admin API, and the API chart's Job and NetworkPolicy find Hydra where this release puts it", () => {
    expect(values.ingress.admin.enabled).toBe(false)
    expect(values.ingress.public.tls[0].hosts).toContain(new URL(values.hydra.config.urls.self.issuer).host)
    expect(values.maester.enabled).toBe(false)
    // Ory's chart names release "hydra"'s services hydra-admin / hydra-public; the API chart and the key-set Job use them.
    const admin = new URL(defaultValues.config.HYDRA_ADMIN_URL)
    expect(admin.host).toBe(`hydra-admin.${defaultValues.hydra.namespace}.svc.cluster.local:${values.hydra.config.serve.admin.port}`)
    expect(defaultValues.hydra.adminPort).toBe(values.hydra.config.serve.admin.port)
    expect(new URL(defaultValues.hydra.accessTokenKeySet.warmJwksUrl).host).toBe(`hydra-public.${defaultValues.hydra.namespace}.svc.cluster.local:${values.hydra.config.serve.public.port}`)
    expect(readFileSync(hydraValuesFile, "utf8")).toContain("templates/job-hydra-key-set.yaml")
  })
})
