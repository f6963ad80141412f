// Balance reads answered by the wallet heads kept in Redis
// (services/ledger-heads), against the real Redis and FerretDB: every append
// sets its wallet's head before it returns, a head never moves back, a head
// that lags the ledger (a writer died between append and head) is read again
// from the ledger within the TTL, and without Redis the ledger answers.
// On a database and a Redis key prefix of this file's own.
import { randomBytes, randomUUID } from "node:crypto"
import { spawn } from "node:child_process"
import { createServer, Server, Socket } from "node:net"
import Redis from "ioredis"
import type { WalletId } from "@/domain/accounts"
import { createLedgerHeads, LedgerHeads, off } from "@/services/ledger-heads"
import { metrics } from "@/services/metrics"
import { LedgerRepository } from "@/services/mongoose/ledger"
import { deleteRedisKeys } from "@/stack/scratch-services"
import { freePort, tcpOpen, waitFor } from "@/stack/wait"
import { testStack } from "../harness/stack-state"
import { eventually } from "../support/eventually"
import { entryWrittenElsewhere } from "../support/ledger"
import { useOwnDatabase } from "../support/own-database"

const redisUrl = testStack().urls.redis
const prefix = `flash-test-heads-${randomBytes(4).toString("hex")}:`
const TTL_MS = 1000
const opened: LedgerHeads[] = []
// The ledger of the replica under test, over the heads a test hands it.
let ledger = LedgerRepository({ heads: off })
const useHeads = (heads: LedgerHeads) => {
  ledger = LedgerRepository({ heads })
}

/** Heads as one API replica holds them: same Redis, same prefix. */
const replica = async (ttlMs = TTL_MS) => {
  if (!redisUrl) throw new Error("this file needs the stack's Redis (REDIS_URL); the test stack starts with the machine's Redis")
  const heads = await createLedgerHeads({ redis: { url: redisUrl, keyPrefix: prefix }, ttlMs })
  opened.push(heads)
  return heads
}

useOwnDatabase("flash_ledger_heads")
afterEach(() => useHeads(off))
afterAll(async () => {
  await Promise.all(opened.map((h) => h.close()))
  if (redisUrl) await deleteRedisKeys(redisUrl, prefix)
})

const credit = (walletId: WalletId, amount: number) => {
  const key = randomUUID()
  return ledger.append({ walletId, amount, entryKey: `credit:${key}`, transferId: key, kind: "intraledger", currency: "BTC" })
}

/** An entry a writer appended before it died, without setting the head. */
const appendedByADeadWriter = (walletId: WalletId, version: number, balance: number) =>
  entryWrittenElsewhere(walletId, version, balance, "dead")

/** A TCP proxy to the real Redis that a test can cut and restore on the same port. */
const redisProxy = async () => {
  const target = new URL(redisUrl ?? "redis://127.0.0.1:6379")
  const port = await freePort()
  const sockets = new Set<Socket>()
  let server: Server | undefined
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = new Socket()
        upstream.connect(Number(target.port || 6379), target.hostname)
        for (const s of [client, upstream]) {
          sockets.add(s)
          s.on("close", () => sockets.delete(s))
          s.on("error", () => undefined)
        }
        client.pipe(upstream).pipe(client)
      })
      server.once("error", reject)
      server.listen(port, "127.0.0.1", () => resolve())
    })
  const close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      if (server) server.close(() => resolve())
      else resolve()
      server = undefined
    })
  await listen()
  return {
    url: `redis://127.0.0.1:${port}`,
    cut: close,
    restore: listen,
    close,
  }
}

const hits = async () => (await metrics.ledgerHeadReads.get()).values.find((v) => v.labels.result === "hit")?.value ?? 0

describe("balances from the wallet heads in Redis", () => {
  it("an append sets its wallet's head before it returns, so another replica reads the new balance at once", async () => {
    useHeads(await replica())
    const w = randomUUID() as WalletId
    expect(await credit(w, 40)).not.toBeInstanceOf(Error)
    expect(await credit(w, 2)).not.toBeInstanceOf(Error)
    const other = await replica()
    expect(await other.read(w)).toEqual({ version: 2, balance: 42 })
  })

  it("answers a balance read from the head without the ledger once the head is there", async () => {
    useHeads(await replica())
    const w = randomUUID() as WalletId
    expect(await credit(w, 7)).not.toBeInstanceOf(Error)
    const before = await hits()
    expect(await ledger.balanceOf(w)).toBe(7)
    expect(await hits()).toBe(before + 1)
  })

  it("keeps the head of a wallet with no entries too (version 0, balance 0)", async () => {
    const heads = await replica()
    useHeads(heads)
    const empty = randomUUID() as WalletId
    expect(await ledger.balanceOf(empty)).toBe(0) // from the ledger, which fills the head
    // The fill is not awaited by the read: wait for the head itself.
    await eventually("the empty wallet's head is filled", async () => (await heads.read(empty)) !== undefined)
    const before = await hits()
    expect(await ledger.balanceOf(empty)).toBe(0)
    expect(await hits()).toBe(before + 1)
    expect(await credit(empty, 3)).not.toBeInstanceOf(Error)
    expect(await ledger.balanceOf(empty)).toBe(3)
  })

  it("fills a missing head from a ledger read, and never moves a head back to an older version", async () => {
    const w = randomUUID() as WalletId
    expect(await credit(w, 5)).not.toBeInstanceOf(Error) // heads off: written to the ledger only
    const heads = await replica()
    useHeads(heads)
    expect(await heads.read(w)).toBeUndefined()
    expect(await ledger.balanceOf(w)).toBe(5) // from the ledger, which fills the head
    // The fill is not awaited by the read: wait for the head itself.
    await eventually("the head is filled from the ledger read", async () => (await heads.read(w)) !== undefined)
    expect(await heads.read(w)).toEqual({ version: 1, balance: 5 })
    expect(await credit(w, 10)).not.toBeInstanceOf(Error)
    await heads.offer(w, { version: 1, balance: 5 }, Date.now()) // a slow reader's older answer
    expect(await heads.read(w)).toEqual({ version: 2, balance: 15 })
  })

  it("drops a fill from a ledger read older than a quarter of the TTL (a newer head may have expired meanwhile)", async () => {
    const heads = await replica()
    const w = randomUUID() as WalletId
    await heads.offer(w, { version: 3, balance: 9 }, Date.now() - TTL_MS)
    expect(await heads.read(w)).toBeUndefined()
  })

  it("reads an entry whose writer died before setting the head within the TTL, from the ledger", async () => {
    const heads = await replica()
    useHeads(heads)
    const w = randomUUID() as WalletId
    expect(await credit(w, 100)).not.toBeInstanceOf(Error)
    await appendedByADeadWriter(w, 2, 101)
    // Until the head expires it lags by the dead writer's entry (that payment never answered) …
    expect(await ledger.balanceOf(w)).toBe(100)
    // Wait for the lagging head to expire in Redis (the event), not for a guessed time.
    await eventually("the lagging head expires", async () => (await heads.read(w)) === undefined)
    // … then the ledger answers, and the next append builds on the true head.
    expect(await ledger.balanceOf(w)).toBe(101)
    const next = await credit(w, 1)
    if (next instanceof Error) throw next
    expect(next).toMatchObject({ version: 3, balance: 102 })
    expect(await ledger.balanceOf(w)).toBe(102)
  })

  it("without Redis answering, appends succeed and balances come from the ledger", async () => {
    const nobody = `redis://127.0.0.1:${await freePort()}`
    const heads = await createLedgerHeads({ redis: { url: nobody, keyPrefix: prefix }, ttlMs: TTL_MS, commandTimeoutMs: 100 })
    opened.push(heads)
    useHeads(heads)
    const w = randomUUID() as WalletId
    expect(await credit(w, 3)).not.toBeInstanceOf(Error)
    expect(await credit(w, 4)).not.toBeInstanceOf(Error)
    expect(await heads.read(w)).toBeUndefined()
    expect(await ledger.balanceOf(w)).toBe(7)
  })

  it("sets the heads of appends made while Redis was away once it is back, and reads the ledger for one TTL after", async () => {
    const proxy = await redisProxy()
    try {
      const heads = await createLedgerHeads({ redis: { url: proxy.url, keyPrefix: prefix }, ttlMs: 3000 })
      opened.push(heads)
      useHeads(heads)
      const direct = await replica(3000)
      const w = randomUUID() as WalletId
      expect(await credit(w, 10)).not.toBeInstanceOf(Error)
      expect(await direct.read(w)).toEqual({ version: 1, balance: 10 })

      await proxy.cut()
      await eventually("this replica's Redis client sees the connection close", () => !heads.connected())
      expect(await credit(w, 5)).not.toBeInstanceOf(Error) // the payment does not wait for Redis
      expect(await direct.read(w)).toEqual({ version: 1, balance: 10 }) // the head lags while Redis is away
      expect(await ledger.balanceOf(w)).toBe(15) // this replica reads the ledger meanwhile

      await proxy.restore()
      await eventually("the missed head is set once Redis is back", async () => (await direct.read(w))?.version === 2)
      expect(await direct.read(w)).toEqual({ version: 2, balance: 15 })
      expect(await heads.read(w)).toBeUndefined() // just reconnected: the ledger answers for one TTL
    } finally {
      await proxy.close()
    }
  })

  it("sets a head whose write Redis refused at the next command Redis answers, and reads that wallet from the ledger until then", async () => {
    // A Redis of this test's own, with a user that may read but not run the head script (ACL),
    // so a head write fails while the connection stays up.
    const port = await freePort()
    const server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" })
    const url = `redis://127.0.0.1:${port}`
    const control = new Redis(url, { lazyConnect: true })
    const mine: Array<Awaited<ReturnType<typeof createLedgerHeads>>> = []
    try {
      await waitFor("redis", tcpOpen("127.0.0.1", port), { timeoutMs: 10_000 })
      await control.connect()
      await control.call("ACL", "SETUSER", "reader", "on", "nopass", "~*", "+@read", "+@connection")
      const heads = await createLedgerHeads({ redis: { url: `redis://reader:x@127.0.0.1:${port}`, keyPrefix: prefix }, ttlMs: 5000 })
      const other = await createLedgerHeads({ redis: { url, keyPrefix: prefix }, ttlMs: 5000 })
      mine.push(heads, other)
      const w = randomUUID() as WalletId
      useHeads(other)
      expect(await credit(w, 10)).not.toBeInstanceOf(Error)
      expect(await other.read(w)).toEqual({ version: 1, balance: 10 })

      useHeads(heads)
      expect(await credit(w, 5)).not.toBeInstanceOf(Error) // the payment does not depend on its head write
      expect(await other.read(w)).toEqual({ version: 1, balance: 10 }) // another replica: the head lags
      expect(await heads.read(w)).toBeUndefined() // this replica knows its write is missing …
      expect(await ledger.balanceOf(w)).toBe(15) // … and reads that wallet from the ledger

      await control.call("ACL", "SETUSER", "reader", "+@scripting", "+@write")
      await heads.read(randomUUID() as WalletId) // the next command that succeeds sets the missed head
      await eventually("the refused head write is sent again", async () => (await other.read(w))?.version === 2)
      expect(await other.read(w)).toEqual({ version: 2, balance: 15 })
      expect(await heads.read(w)).toEqual({ version: 2, balance: 15 })
    } finally {
      // Closed while their Redis still answers: a client left open on a killed server keeps a reconnect timer.
      await Promise.all(mine.map((h) => h.close()))
      control.disconnect()
      server.kill("SIGKILL")
    }
  })

  it("is off with a TTL of 0 or without Redis: every balance read asks the ledger", async () => {
    expect((await createLedgerHeads({ redis: undefined, ttlMs: 5000 })).mode()).toBe("off")
    expect((await createLedgerHeads({ redis: { url: redisUrl ?? "redis://127.0.0.1:6379", keyPrefix: prefix }, ttlMs: 0 })).mode()).toBe("off")
  })
})
