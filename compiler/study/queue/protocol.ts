// What travels through the queue. A job is one dataset line, with the study's options (small and
// the same for every job, as in the thread pool) and the study's content hash. The model, its
// imports and the weights do NOT travel: every machine reads them at the same path (a shared
// file system, or the same files copied to the same place), and a worker refuses a study whose
// files hash differently on its machine, so a stale copy cannot answer silently.

import { resolve } from "node:path";
import type { ConnectionOptions } from "bullmq";
import { Redis } from "ioredis";
import { CliError } from "../../cli/load.ts";
import { contentKey, modelFiles } from "../cache.ts";
import type { StudyOptions } from "../options.ts";
import type { ErrorRecord, OutputRecord } from "../record.ts";

export interface QueueJob {
  /** The study's content hash (studyKey). */
  readonly study: string;
  readonly options: StudyOptions;
  /** The line's rank among the lines this run enqueued (the ordered sink's seq). */
  readonly seq: number;
  readonly line: number;
  readonly text: string;
}

export type QueueAnswer = { ok: OutputRecord } | { error: ErrorRecord };

export interface QueueAddress {
  readonly server: { readonly host: string; readonly port: number; readonly db?: number; readonly password?: string };
  readonly connection: ConnectionOptions;
  readonly name: string;
  /** The address as given, for messages. */
  readonly url: string;
}

/** `redis://HOST:PORT/NAME` (or `redis://HOST:PORT/DB/NAME`) → connection and queue name. */
export function parseQueueUrl(url: string): QueueAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CliError(`--queue: expected redis://HOST:PORT/NAME, got "${url}"`);
  }
  const parts = u.pathname.split("/").filter((p) => p !== "");
  const ok = u.protocol === "redis:" && u.hostname !== "" && (parts.length === 1 || (parts.length === 2 && /^\d+$/.test(parts[0]!)));
  const name = parts.at(-1) ?? "";
  if (!ok || !/^[\w.-]+$/.test(name)) throw new CliError(`--queue: expected redis://HOST:PORT/NAME (NAME of letters, digits, _ . -), got "${url}"`);
  const server = {
    host: u.hostname,
    port: u.port === "" ? 6379 : Number(u.port),
    ...(parts.length === 2 ? { db: Number(parts[0]) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
  return { server, connection: { ...server }, name, url };
}

/** The files a study reads: the model and its imports, the weights, user semiring files. */
const studyFiles = (o: StudyOptions): string[] => [...modelFiles(o.model), resolve(o.params), ...(o.semiringsFrom ?? []).map((f) => resolve(f))];

/** Hash of the study's files (by content) and of the options that change results; semic's own sources are part of it. */
export function studyKey(o: StudyOptions): string {
  const { cacheDir: _cache, threads: _threads, maxModels: _max, ...results } = o;
  return contentKey(studyFiles(o), results);
}

/** Job ids: one per (study, line), so enqueueing a line twice adds it once. */
export const jobIdOf = (study: string, line: number): string => `${study.slice(0, 24)}-L${line}`;

/**
 * Fails unless Redis answers at the address. BullMQ would retry an unreachable server forever and
 * keep the process alive; this one-shot client gives up: a user error naming the address.
 */
export async function probeRedis(q: QueueAddress, ms = 5000): Promise<void> {
  const client = new Redis({ ...q.server, lazyConnect: true, connectTimeout: ms, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  let why = "";
  client.on("error", (e: Error) => (why ||= e.message));
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    client.disconnect();
    throw new CliError(`cannot reach Redis at ${q.url} (${why || (e as Error).message}): is redis-server running there?`);
  }
  await client.quit();
}
