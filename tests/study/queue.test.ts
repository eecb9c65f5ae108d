// The queue mode against a real redis-server started here on a free loopback port: a producer,
// two workers, one of them killed with SIGKILL while records run; every record must be in the
// results exactly once, in input order, equal to a local run's. Bounded: every wait has a limit.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseQueueUrl } from "../../compiler/study/queue/protocol.ts";
import { jsonLine } from "../../compiler/study/record.ts";
import { createRecordRunner } from "../../compiler/study/runner.ts";
import { rng } from "../oracle/random.ts";

const REDIS = "/usr/bin/redis-server";
const BIN = fileURLToPath(new URL("../../bin/semic.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "semic-queue-"));
const RECORDS = 60;
const [WIDTH, LAYERS] = [160, 3];

/** An MLP heavy enough (per record, tens of ms) that a worker is killed while records run. */
const MODEL = `import { input, matmul, model, param, sum, tanh } from "semic/dsl";
export default model("deep", () => {
  let h = input("x", [${WIDTH}]);
  for (let i = 0; i < ${LAYERS}; i++) h = tanh(matmul(param("w" + i, [${WIDTH}, ${WIDTH}]), h));
  return sum(h);
});
`;

/** Three consumers of x named Q, K, S (PAPER.md's example B), two tokens of two units. */
const BRANCHY = `import { add, branch, input, model, mul, param, sum } from "semic/dsl";
export default model("b", () => {
  const x = input("x", [2, 2]);
  const q = mul(branch(x, "Q"), param("a", [2, 2]));
  const k = mul(branch(x, "K"), param("b", [2, 2]));
  const s = mul(branch(x, "S"), param("c", [2, 2]));
  return sum(add(add(q, k), s));
});
`;

interface Proc {
  child: ChildProcess;
  out: string;
  exited: Promise<number | null>;
}

function start(cmd: string, args: string[]): Proc {
  const child = spawn(cmd, args, { cwd: dir, env: { ...process.env, SEMIC_DEBUG: "" }, stdio: ["ignore", "pipe", "pipe"] });
  const p: Proc = { child, out: "", exited: new Promise((ok) => child.on("exit", (code) => ok(code))) };
  child.stdout!.on("data", (d: Buffer) => (p.out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (p.out += d.toString()));
  return p;
}

async function until(what: string, ok: () => boolean, ms = 60_000, ...logs: Proc[]): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}\n${logs.map((p) => p.out).join("\n---\n")}`);
    await sleep(50);
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as { port: number }).port;
  await new Promise((ok) => server.close(ok));
  return port;
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((l) => l !== "") : []);

describe.runIf(existsSync(REDIS) || process.env["CI"])("queue mode on a real redis-server", () => {
  let redis: Proc;
  let url = "";
  const procs: Proc[] = [];

  beforeAll(async () => {
    const r = rng(5);
    writeFileSync(join(dir, "deep.ts"), MODEL);
    const params = Object.fromEntries(Array.from({ length: LAYERS }, (_, i) => [`w${i}`, Array.from({ length: WIDTH }, () => Array.from({ length: WIDTH }, () => r.normal() / Math.sqrt(WIDTH)))]));
    writeFileSync(join(dir, "deep.json"), JSON.stringify(params));
    const data = Array.from({ length: RECORDS }, (_, i) => JSON.stringify({ id: `r${i + 1}`, x: Array.from({ length: WIDTH }, () => Number(r.normal().toFixed(3))), meta: { i } }));
    writeFileSync(join(dir, "data.jsonl"), data.join("\n") + "\n");
    const port = await freePort();
    redis = start(REDIS, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
    await until("redis-server to listen", () => /Ready to accept connections/.test(redis.out), 20_000);
    url = `redis://127.0.0.1:${port}/study`;
  }, 30_000);

  afterAll(async () => {
    for (const p of [...procs, redis]) {
      if (p && p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill("SIGKILL");
        await p.exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test("two workers, one killed mid-run: every record exactly once, in order, as a local run", async () => {
    const run = ["run", "deep.ts", "--params", "deep.json", "-s", "maxprod,entropy", "--dataset", "data.jsonl", "--cache-dir", "cache-p"];
    const producer = start(process.execPath, [BIN, ...run, "--queue", url, "-o", "results.jsonl"]);
    procs.push(producer);
    await until("the records to be queued", () => /60 records queued/.test(producer.out));
    const worker = (name: string) => start(process.execPath, [BIN, "worker", "--queue", url, "--workers", "0", "--lock-ms", "1500", "--cache-dir", `cache-${name}`]);
    // Worker a alone until it has answered a few records, then SIGKILL while most still wait; b
    // starts after, takes the rest and the record a held (its lock lapses).
    const queue = new Queue("study", { connection: parseQueueUrl(url).connection });
    let counts: Record<string, number> = {};
    const a = worker("a");
    procs.push(a);
    const t0 = Date.now();
    while (!((counts["completed"] ?? 0) >= 3 && (counts["waiting"] ?? 0) >= 30)) {
      if (Date.now() - t0 > 60_000 || (counts["waiting"] ?? RECORDS) < 30) throw new Error(`no moment to kill worker a: ${JSON.stringify(counts)}\n${a.out}`);
      await sleep(20);
      counts = await queue.getJobCounts("waiting", "active", "completed");
    }
    a.child.kill("SIGKILL");
    expect(await a.exited).toBe(null);
    const left = await queue.getJobCounts("waiting", "active");
    await queue.close();
    expect((left["waiting"] ?? 0) + (left["active"] ?? 0), "records left when worker a died").toBeGreaterThan(0);
    const b = worker("b");
    procs.push(b);

    const code = await Promise.race([producer.exited, sleep(90_000).then(() => "timeout")]);
    expect(code, producer.out).toBe(0);
    expect(producer.out).toContain(`semic: ${RECORDS} records → results.jsonl, 0 failed`);
    b.child.kill("SIGTERM");
    expect(await b.exited, b.out).toBe(0);
    if (process.env["SEMIC_QUEUE_DEBUG"]) console.log(b.out);
    expect(b.out).toMatch(/SIGTERM: finishing the running records…\nsemic worker: stopped/);

    const got = lines(join(dir, "results.jsonl"));
    expect(got.map((l) => (JSON.parse(l) as { line: number }).line)).toEqual(Array.from({ length: RECORDS }, (_, i) => i + 1));
    expect(lines(join(dir, "results.errors.jsonl"))).toEqual([]);

    // The same records computed here, without a queue.
    const runner = await createRecordRunner({ model: join(dir, "deep.ts"), params: join(dir, "deep.json"), semirings: ["maxprod", "entropy"], precision: "f64", cacheDir: join(dir, "cache-t") });
    const data = lines(join(dir, "data.jsonl"));
    for (const [i, text] of data.entries()) expect(got[i], `line ${i + 1}`).toBe(jsonLine(await runner.run({ line: i + 1, text })).trimEnd());
  }, 150_000);

  test("branch views travel with the study: the queue's records equal a local run's", async () => {
    writeFileSync(join(dir, "b.ts"), BRANCHY);
    writeFileSync(join(dir, "b.json"), JSON.stringify({ a: [[1, 5], [2, 0.5]], b: [[3, 1], [-4, 1]], c: [[2, 2], [1, 1.5]] }));
    const r = rng(8);
    writeFileSync(join(dir, "b.jsonl"), Array.from({ length: 6 }, (_, i) => JSON.stringify({ id: `b${i}`, x: [[r.normal(), r.normal()], [r.normal(), r.normal()]] })).join("\n") + "\n");
    const views = url.replace(/study$/, "views");
    const producer = start(process.execPath, [BIN, "run", "b.ts", "--params", "b.json", "-s", "maxprod", "--branch-view", "oplus,bucket_sum,sum", "--dataset", "b.jsonl", "--cache-dir", "cache-p", "--queue", views, "-o", "views.jsonl"]);
    const worker = start(process.execPath, [BIN, "worker", "--queue", views, "--workers", "0", "--cache-dir", "cache-w"]);
    procs.push(producer, worker);
    const code = await Promise.race([producer.exited, sleep(60_000).then(() => "timeout")]);
    expect(code, producer.out + worker.out).toBe(0);
    worker.child.kill("SIGTERM");
    await worker.exited;

    const got = lines(join(dir, "views.jsonl"));
    expect(got).toHaveLength(6);
    const runner = await createRecordRunner({ model: join(dir, "b.ts"), params: join(dir, "b.json"), semirings: ["maxprod"], branchViews: ["oplus", "bucket_sum", "sum"], precision: "f64", cacheDir: join(dir, "cache-t") });
    for (const [i, text] of lines(join(dir, "b.jsonl")).entries()) expect(got[i], `line ${i + 1}`).toBe(jsonLine(await runner.run({ line: i + 1, text })).trimEnd());
    const first = JSON.parse(got[0]!) as { results: { maxprod: { branchViews: Record<string, Record<string, unknown>> } } };
    expect(Object.keys(first.results.maxprod.branchViews)).toEqual(["oplus", "bucket_sum", "sum"]);
    expect(Object.keys(first.results.maxprod.branchViews["oplus"]!)).toEqual(["Q", "K", "S"]);
  }, 90_000);

  test("user errors: a bad queue address; --queue without --dataset; no Redis at the address", async () => {
    expect(() => parseQueueUrl("http://x:1/q")).toThrow('--queue: expected redis://HOST:PORT/NAME (NAME of letters, digits, _ . -), got "http://x:1/q"');
    expect(() => parseQueueUrl("redis://x:1/")).toThrow("--queue: expected redis://HOST:PORT/NAME");
    expect(parseQueueUrl("redis://h:7000/2/jobs")).toMatchObject({ name: "jobs", connection: { host: "h", port: 7000, db: 2 } });
    const p = start(process.execPath, [BIN, "run", "deep.ts", "--params", "deep.json", "-s", "maxprod", "--queue", url, "-o", "x.jsonl"]);
    expect(await p.exited).toBe(1);
    expect(p.out).toBe("semic: --queue needs --dataset FILE.jsonl (the records to enqueue)\n");
    const nobody = `redis://127.0.0.1:${await freePort()}/q`;
    const w = start(process.execPath, [BIN, "worker", "--queue", nobody]);
    const r = start(process.execPath, [BIN, "run", "deep.ts", "--params", "deep.json", "-s", "maxprod", "--dataset", "data.jsonl", "--queue", nobody, "-o", "none.jsonl"]);
    expect([await w.exited, await r.exited]).toEqual([1, 1]);
    for (const out of [w.out, r.out]) expect(out).toMatch(new RegExp(`^semic: cannot reach Redis at ${nobody} \\(connect ECONNREFUSED [^)]*\\): is redis-server running there\\?\n$`));
    expect(existsSync(join(dir, "none.jsonl"))).toBe(false);
  }, 30_000);
});
