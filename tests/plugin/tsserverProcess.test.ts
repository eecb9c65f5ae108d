// The language-service plugin loaded by a real tsserver (node_modules/typescript/lib/tsserver.js
// as a child process, spoken to over its stdio protocol), as an editor loads it: a project whose
// tsconfig.json names `semic/tsserver`, with semic installed in its node_modules the way the
// package ships it (package.json, tsserver/, the build's CommonJS bundle and dist/runtime/dsl.ts).
// Opening a model with a shape error in the editor's (unsaved) text gives semic's diagnostic in
// the semanticDiag event; an edit that fixes it clears it.

import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { bundleTsserverPlugin } from "../../compiler/plugin/bundleTsserver.ts";
import { SEMIC_DIAGNOSTIC } from "../../compiler/plugin/tsserver.ts";
import { ROOT } from "../cliSpawn.ts";

interface Message {
  type: "response" | "event";
  event?: string;
  command?: string;
  request_seq?: number;
  success?: boolean;
  message?: string;
  body?: unknown;
}
interface Diag {
  start: { line: number; offset: number };
  end: { line: number; offset: number };
  text: string;
  code: number;
  category: string;
  source?: string;
}

/** A tsserver child process: requests by seq, and the events it sends. */
class TsServer {
  readonly #child: ChildProcess;
  readonly #seen: Message[] = [];
  readonly #waiting: { match: (m: Message) => boolean; ok: (m: Message) => void }[] = [];
  #buf = Buffer.alloc(0);
  #seq = 0;
  stderr = "";

  constructor(cwd: string, args: string[]) {
    this.#child = spawn(process.execPath, [join(ROOT, "node_modules/typescript/lib/tsserver.js"), ...args], { cwd });
    this.#child.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.#child.stdout!.on("data", (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      // Each message: "Content-Length: N\r\n\r\n" and N bytes of JSON.
      for (;;) {
        const head = this.#buf.indexOf("\r\n\r\n");
        if (head < 0) return;
        const n = Number(/Content-Length: (\d+)/.exec(this.#buf.subarray(0, head).toString())?.[1]);
        if (this.#buf.length < head + 4 + n) return;
        const msg = JSON.parse(this.#buf.subarray(head + 4, head + 4 + n).toString()) as Message;
        this.#buf = this.#buf.subarray(head + 4 + n);
        this.#seen.push(msg);
        for (const w of [...this.#waiting]) {
          if (!w.match(msg)) continue;
          this.#waiting.splice(this.#waiting.indexOf(w), 1);
          w.ok(msg);
        }
      }
    });
  }

  /** The next message (from now on, or already seen since `from`) that `match`es. */
  next(match: (m: Message) => boolean, from: number): Promise<Message> {
    const seen = this.#seen.slice(from).find(match);
    return seen ? Promise.resolve(seen) : new Promise((ok) => this.#waiting.push({ match, ok }));
  }

  get count(): number {
    return this.#seen.length;
  }

  async request(command: string, args: unknown): Promise<Message> {
    const seq = ++this.#seq;
    const from = this.count;
    this.#child.stdin!.write(JSON.stringify({ seq, type: "request", command, arguments: args }) + "\n");
    const r = await this.next((m) => m.type === "response" && m.request_seq === seq, from);
    if (!r.success) throw new Error(`tsserver ${command}: ${r.message}\n${this.stderr}`);
    return r;
  }

  /** geterr for `file`: its semantic diagnostics, as the semanticDiag event carries them. */
  async semanticDiag(file: string): Promise<Diag[]> {
    const from = this.count;
    this.#child.stdin!.write(JSON.stringify({ seq: ++this.#seq, type: "request", command: "geterr", arguments: { files: [file], delay: 0 } }) + "\n");
    const e = await this.next((m) => m.event === "semanticDiag" && (m.body as { file: string }).file === file, from);
    return (e.body as { diagnostics: Diag[] }).diagnostics;
  }

  kill(): void {
    this.#child.kill();
  }
}

describe("language-service plugin in a real tsserver", () => {
  const project = mkdtempSync(join(tmpdir(), "semic-tsserver-"));
  const model = join(project, "model.ts");
  const good = readFileSync(join(ROOT, "examples/mlp.ts"), "utf8");
  const bad = good.replace('param("w2", [classes, hidden])', 'param("w2", [classes, hidden + 1])');
  let server: TsServer;

  beforeAll(async () => {
    // semic as installed: what package.json's "files" ships of the plugin, and the build's bundle.
    const pkg = join(project, "node_modules/semic");
    mkdirSync(join(pkg, "dist/runtime"), { recursive: true });
    const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { files: string[]; exports: Record<string, unknown> };
    expect(manifest.files).toContain("tsserver");
    expect(manifest.exports["./tsserver"]).toBe("./tsserver/index.js");
    cpSync(join(ROOT, "package.json"), join(pkg, "package.json"));
    cpSync(join(ROOT, "tsserver"), join(pkg, "tsserver"), { recursive: true });
    cpSync(join(ROOT, "runtime/dsl.ts"), join(pkg, "dist/runtime/dsl.ts"));
    await bundleTsserverPlugin(ROOT, pkg);
    symlinkSync(join(ROOT, "node_modules/ts-morph"), join(project, "node_modules/ts-morph"), "dir");

    const compilerOptions = { module: "esnext", moduleResolution: "bundler", allowImportingTsExtensions: true, noEmit: true, strict: true, plugins: [{ name: "semic/tsserver" }] };
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["model.ts"] }));
    writeFileSync(model, good);
    // An editor passes the project's node_modules as where plugins are looked for (VS Code does with
    // a workspace TypeScript); tsserver otherwise looks beside its own typescript package.
    server = new TsServer(project, ["--pluginProbeLocations", project, "--disableAutomaticTypingAcquisition"]);
  });
  afterAll(() => {
    server?.kill();
    rmSync(project, { recursive: true, force: true });
  });

  test("a shape error in the open (unsaved) text is semic's diagnostic at its line:col; fixing it clears it", async () => {
    await server.request("open", { file: model, fileContent: bad });
    const semic = (ds: Diag[]) => ds.filter((d) => d.code === SEMIC_DIAGNOSTIC);
    const [d, ...more] = semic(await server.semanticDiag(model));
    expect(d, server.stderr).toBeDefined();
    expect(more).toEqual([]);
    expect(d).toMatchObject({ start: { line: 10, offset: 18 }, end: { line: 10, offset: 24 }, category: "error", source: "semic" });
    expect(d!.text).toMatch(/^semic E_SHAPE: linear\(f32\[16\], f32\[3,17\], f32\[3\]\): w must be \[out, in\]/);

    // The edit an editor sends when " + 1" is deleted.
    const col = bad.split("\n")[9]!.indexOf(" + 1") + 1;
    await server.request("change", { file: model, line: 10, offset: col, endLine: 10, endOffset: col + 4, insertString: "" });
    expect(semic(await server.semanticDiag(model))).toEqual([]);
  }, 60_000);
});
