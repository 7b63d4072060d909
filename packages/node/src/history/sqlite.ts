/**
 * History in an embedded SQLite file (better-sqlite3, WAL journal).
 *
 * Records are buffered and committed in one transaction at least every `commitIntervalS` (0.5 s by default, also
 * on a timer when records stop), so a hard kill loses at most the last commit interval. WAL with
 * `synchronous=FULL` makes every commit durable and keeps the file consistent whatever happens to the process.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import {
  type Committed,
  DEFAULT_RETENTION,
  type EventQuery,
  type HistoryEvent,
  type HistoryStore,
  type RetentionPolicy,
  type StoredEvent,
  TELEMETRY_CHANNELS,
  type TelemetryChannel,
  type TelemetryQuery,
  type TelemetrySample,
  type TelemetrySeries,
} from "./store.ts";

export interface SqliteHistoryOptions {
  /** Keep one telemetry sample per this much session time, s. */
  telemetryPeriodS?: number;
  /** Commit buffered records at least this often (wall clock), s. */
  commitIntervalS?: number;
  retention?: RetentionPolicy;
  /** Apply the retention policy this often (wall clock), s. */
  retentionIntervalS?: number;
  /** Name of the run this store records (shown in history listings). */
  runName?: string;
  /** Wall clock, ms since 1970 (injectable for tests). */
  now?: () => number;
}

const SCHEMA_VERSION = 1;
const quoted = (c: string): string => `"${c}"`;
const toSql = (v: number): number | null => (Number.isFinite(v) ? v : null);

export class SqliteHistory implements HistoryStore {
  readonly run: number;
  private readonly db: Database.Database;
  private readonly telemetryPeriodS: number;
  private readonly commitIntervalMs: number;
  private readonly retention: RetentionPolicy;
  private readonly now: () => number;
  private pendingTelemetry: TelemetrySample[] = [];
  private pendingEvents: HistoryEvent[] = [];
  private lastKeptTimeS = Number.NEGATIVE_INFINITY;
  private lastCommitMs: number;
  private committed: Committed = { telemetryId: 0, eventId: 0 };
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;
  private readonly insertTelemetry: Database.Statement;
  private readonly insertEvent: Database.Statement;
  private readonly commitPending: () => void;

  constructor(
    readonly path: string,
    options: SqliteHistoryOptions = {},
  ) {
    this.telemetryPeriodS = options.telemetryPeriodS ?? 1;
    this.commitIntervalMs = (options.commitIntervalS ?? 0.5) * 1000;
    this.retention = options.retention ?? DEFAULT_RETENTION;
    this.now = options.now ?? Date.now;
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.pragma("busy_timeout = 2000");
    this.migrate();
    this.run = Number(
      this.db
        .prepare("INSERT INTO runs (started_ms, name) VALUES (?, ?)")
        .run(this.now(), options.runName ?? "session").lastInsertRowid,
    );
    const cols = TELEMETRY_CHANNELS.map(quoted).join(", ");
    const marks = TELEMETRY_CHANNELS.map(() => "?").join(", ");
    this.insertTelemetry = this.db.prepare(
      `INSERT INTO telemetry (run, time_s, wall_ms, ${cols}, group_v) VALUES (?, ?, ?, ${marks}, ?)`,
    );
    this.insertEvent = this.db.prepare(
      "INSERT INTO events (run, time_s, wall_ms, kind, name, detail) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.commitPending = this.db.transaction(() => {
      for (const s of this.pendingTelemetry) {
        const groups = s.groupVoltageV ? Buffer.from((s.groupVoltageV as Float32Array).buffer) : null;
        const values = TELEMETRY_CHANNELS.map((c) => toSql(s.values[c]));
        const id = this.insertTelemetry.run(this.run, s.timeS, Math.round(s.wallMs), ...values, groups);
        this.committed.telemetryId = Number(id.lastInsertRowid);
      }
      for (const e of this.pendingEvents) {
        const detail = e.detail === undefined ? null : JSON.stringify(e.detail);
        const id = this.insertEvent.run(this.run, e.timeS, Math.round(e.wallMs), e.kind, e.name, detail);
        this.committed.eventId = Number(id.lastInsertRowid);
      }
    });
    this.lastCommitMs = this.now();
    this.applyRetention();
    const commitTimer = setInterval(() => this.flushIfDue(), Math.max(10, this.commitIntervalMs / 2));
    const retentionTimer = setInterval(
      () => this.applyRetention(),
      (options.retentionIntervalS ?? 3600) * 1000,
    );
    for (const t of [commitTimer, retentionTimer]) {
      t.unref();
      this.timers.push(t);
    }
  }

  private migrate(): void {
    const version = Number(this.db.pragma("user_version", { simple: true }));
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `${this.path}: history schema version ${version} is newer than this coxswain supports (${SCHEMA_VERSION})`,
      );
    }
    const channelCols = TELEMETRY_CHANNELS.map((c) => `${quoted(c)} REAL`).join(", ");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, started_ms INTEGER NOT NULL, name TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS telemetry (
        id INTEGER PRIMARY KEY, run INTEGER NOT NULL, time_s REAL NOT NULL, wall_ms INTEGER NOT NULL,
        ${channelCols}, group_v BLOB);
      CREATE INDEX IF NOT EXISTS telemetry_run_time ON telemetry (run, time_s);
      CREATE INDEX IF NOT EXISTS telemetry_wall ON telemetry (wall_ms);
      CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY, run INTEGER NOT NULL, time_s REAL NOT NULL, wall_ms INTEGER NOT NULL,
        kind TEXT NOT NULL, name TEXT NOT NULL, detail TEXT);
      CREATE INDEX IF NOT EXISTS events_run_time ON events (run, time_s);
      CREATE INDEX IF NOT EXISTS events_wall ON events (wall_ms);
      PRAGMA user_version = ${SCHEMA_VERSION};
    `);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`history ${this.path} is closed`);
  }

  recordTelemetry(sample: TelemetrySample): void {
    this.assertOpen();
    if (sample.timeS < this.lastKeptTimeS + this.telemetryPeriodS && sample.timeS >= this.lastKeptTimeS)
      return;
    this.lastKeptTimeS = sample.timeS;
    // Copied: callers may reuse their buffers before the commit.
    this.pendingTelemetry.push({
      timeS: sample.timeS,
      wallMs: sample.wallMs,
      values: { ...sample.values },
      ...(sample.groupVoltageV ? { groupVoltageV: Float32Array.from(sample.groupVoltageV) } : {}),
    });
    this.flushIfDue();
  }

  recordEvent(event: HistoryEvent): void {
    this.assertOpen();
    this.pendingEvents.push({ ...event });
    this.flushIfDue();
  }

  private flushIfDue(): void {
    if (!this.closed && this.now() - this.lastCommitMs >= this.commitIntervalMs) this.flush();
  }

  /** The highest ids committed so far. */
  get lastCommitted(): Committed {
    return { ...this.committed };
  }

  flush(): Committed {
    this.assertOpen();
    this.lastCommitMs = this.now();
    if (this.pendingTelemetry.length || this.pendingEvents.length) {
      this.commitPending();
      this.pendingTelemetry = [];
      this.pendingEvents = [];
    }
    return { ...this.committed };
  }

  telemetry(query: TelemetryQuery = {}): TelemetrySeries {
    this.assertOpen();
    this.flush();
    const run = query.run ?? this.run;
    const fromS = query.fromS ?? Number.NEGATIVE_INFINITY;
    const toS = query.toS ?? Number.POSITIVE_INFINITY;
    const span = this.db
      .prepare(
        "SELECT COUNT(*) AS n, MIN(time_s) AS t0, MAX(time_s) AS t1 FROM telemetry WHERE run = ? AND time_s >= ? AND time_s <= ?",
      )
      .get(run, fromS, toS) as { n: number; t0: number | null; t1: number | null };
    const avg = TELEMETRY_CHANNELS.map((c) => `AVG(${quoted(c)}) AS ${quoted(c)}`).join(", ");
    const plain = TELEMETRY_CHANNELS.map(quoted).join(", ");
    const where = "WHERE run = ? AND time_s >= ? AND time_s <= ?";
    let rows: Record<string, number | null>[];
    if (query.maxPoints !== undefined && span.n > query.maxPoints && span.t0 !== null && span.t1 !== null) {
      // Equal time buckets over the span found, the last one closed so that t1 does not start a bucket of its own.
      const bucketS = (span.t1 - span.t0) / query.maxPoints || 1;
      rows = this.db
        .prepare(
          `SELECT AVG(time_s) AS time_s, ${avg} FROM telemetry ${where}
           GROUP BY MIN(CAST((time_s - ?) / ? AS INTEGER), ?) ORDER BY time_s`,
        )
        .all(run, fromS, toS, span.t0, bucketS, query.maxPoints - 1) as Record<string, number | null>[];
    } else {
      rows = this.db
        .prepare(`SELECT time_s, ${plain} FROM telemetry ${where} ORDER BY time_s, id`)
        .all(run, fromS, toS) as Record<string, number | null>[];
    }
    const values = {} as Record<TelemetryChannel, (number | null)[]>;
    for (const c of TELEMETRY_CHANNELS) values[c] = rows.map((r) => r[c] ?? null);
    return { run, timeS: rows.map((r) => r["time_s"] as number), values };
  }

  groupVoltagesAt(timeS: number, run = this.run): { timeS: number; groupVoltageV: number[] } | undefined {
    this.assertOpen();
    this.flush();
    const row = this.db
      .prepare(
        "SELECT time_s, group_v FROM telemetry WHERE run = ? AND group_v IS NOT NULL ORDER BY ABS(time_s - ?) LIMIT 1",
      )
      .get(run, timeS) as { time_s: number; group_v: Buffer } | undefined;
    if (!row) return undefined;
    const bytes = row.group_v;
    const f32 = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    return { timeS: row.time_s, groupVoltageV: Array.from(f32) };
  }

  events(query: EventQuery = {}): StoredEvent[] {
    this.assertOpen();
    this.flush();
    const run = query.run ?? this.run;
    const conds = ["run = ?", "time_s >= ?", "time_s <= ?"];
    const args: (number | string)[] = [
      run,
      query.fromS ?? Number.NEGATIVE_INFINITY,
      query.toS ?? Number.POSITIVE_INFINITY,
    ];
    if (query.kind !== undefined) {
      conds.push("kind = ?");
      args.push(query.kind);
    }
    const limit = query.limit ?? -1;
    const rows = this.db
      .prepare(
        `SELECT * FROM (SELECT id, run, time_s, wall_ms, kind, name, detail FROM events WHERE ${conds.join(" AND ")}
         ORDER BY id DESC LIMIT ?) ORDER BY id`,
      )
      .all(...args, limit) as {
      id: number;
      run: number;
      time_s: number;
      wall_ms: number;
      kind: string;
      name: string;
      detail: string | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      run: r.run,
      timeS: r.time_s,
      wallMs: r.wall_ms,
      kind: r.kind,
      name: r.name,
      ...(r.detail === null ? {} : { detail: JSON.parse(r.detail) as unknown }),
    }));
  }

  applyRetention(nowMs = this.now()): { telemetry: number; events: number } {
    if (this.closed) return { telemetry: 0, events: 0 };
    const telemetry = this.db
      .prepare("DELETE FROM telemetry WHERE wall_ms < ?")
      .run(nowMs - this.retention.telemetryMaxAgeS * 1000).changes;
    const events = this.db
      .prepare("DELETE FROM events WHERE wall_ms < ?")
      .run(nowMs - this.retention.eventMaxAgeS * 1000).changes;
    this.db
      .prepare(
        `DELETE FROM runs WHERE id <> ? AND id NOT IN (SELECT run FROM telemetry)
         AND id NOT IN (SELECT run FROM events)`,
      )
      .run(this.run);
    return { telemetry, events };
  }

  /** Runs recorded in this file, newest first. */
  runs(): { id: number; startedMs: number; name: string }[] {
    this.assertOpen();
    return (
      this.db.prepare("SELECT id, started_ms, name FROM runs ORDER BY id DESC").all() as {
        id: number;
        started_ms: number;
        name: string;
      }[]
    ).map((r) => ({ id: r.id, startedMs: r.started_ms, name: r.name }));
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    for (const t of this.timers) clearInterval(t);
    this.closed = true;
    this.db.close();
  }
}
