import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import Database from "better-sqlite3";
import fc from "fast-check";
import { SqliteHistory } from "../src/history/sqlite.ts";
import { TELEMETRY_CHANNELS, type TelemetryChannel, type TelemetrySample } from "../src/history/store.ts";

const dir = mkdtempSync(join(tmpdir(), "coxswain-history-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshPath = (): string => join(dir, `h${files++}.sqlite`);

function sample(timeS: number, wallMs: number, f: (c: TelemetryChannel) => number): TelemetrySample {
  const values = {} as Record<TelemetryChannel, number>;
  for (const c of TELEMETRY_CHANNELS) values[c] = f(c);
  return { timeS, wallMs, values };
}

test("keeps one telemetry sample per period of session time and reads them back exactly", () => {
  const h = new SqliteHistory(freshPath(), { telemetryPeriodS: 1 });
  // 10 Hz for 20 s: samples at 0, 1, 2, ... 19 s are kept (the first at or after each period).
  for (let k = 0; k < 200; k++) h.recordTelemetry(sample(k / 10, 1e12 + k * 100, () => k));
  const s = h.telemetry();
  assert.deepEqual(
    s.timeS,
    Array.from({ length: 20 }, (_, i) => (i * 10) / 10),
  );
  assert.deepEqual(
    s.values.packVoltageV,
    Array.from({ length: 20 }, (_, i) => i * 10),
  );
  h.close();
});

test("unknown values (NaN) are stored as null", () => {
  const h = new SqliteHistory(freshPath());
  h.recordTelemetry(sample(0, 0, (c) => (c === "socTrue" ? Number.NaN : 1)));
  const s = h.telemetry();
  assert.deepEqual(s.values.socTrue, [null]);
  assert.deepEqual(s.values.soh, [1]);
  h.close();
});

test("downsampled queries average equal time buckets (checked against a direct computation)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 400 }),
      fc.integer({ min: 1, max: 50 }),
      fc.array(fc.double({ min: -1000, max: 1000, noNaN: true }), { minLength: 400, maxLength: 400 }),
      (n, maxPoints, ys) => {
        const h = new SqliteHistory(":memory:", { telemetryPeriodS: 0 });
        for (let i = 0; i < n; i++) h.recordTelemetry(sample(i * 0.5, 0, () => ys[i]));
        const s = h.telemetry({ maxPoints });
        h.close();
        // Independent expectation: bucket index min(floor((t - t0) / w), maxPoints - 1), w = span / maxPoints.
        if (n <= maxPoints) {
          assert.equal(s.timeS.length, n);
          return;
        }
        const w = ((n - 1) * 0.5) / maxPoints;
        const buckets = new Map<number, number[]>();
        for (let i = 0; i < n; i++) {
          const b = Math.min(Math.trunc((i * 0.5) / w), maxPoints - 1);
          buckets.set(b, [...(buckets.get(b) ?? []), i]);
        }
        const expected = [...buckets.keys()].sort((a, b) => a - b).map((b) => buckets.get(b)!);
        assert.ok(s.timeS.length <= maxPoints);
        assert.equal(s.timeS.length, expected.length);
        expected.forEach((idx, k) => {
          const meanT = idx.reduce((a, i) => a + i * 0.5, 0) / idx.length;
          const meanY = idx.reduce((a, i) => a + ys[i], 0) / idx.length;
          assert.ok(Math.abs(s.timeS[k] - meanT) < 1e-9);
          assert.ok(Math.abs((s.values.packCurrentA[k] as number) - meanY) < 1e-6);
        });
      },
    ),
    { numRuns: 60 },
  );
});

test("events are kept in full, filtered by kind and limited to the newest", () => {
  const h = new SqliteHistory(freshPath());
  for (let i = 0; i < 50; i++) {
    h.recordEvent({ timeS: i, wallMs: 0, kind: i % 2 ? "alarm" : "control", name: `e${i}`, detail: { i } });
  }
  assert.equal(h.events().length, 50);
  const alarms = h.events({ kind: "alarm" });
  assert.equal(alarms.length, 25);
  assert.deepEqual(alarms[0].detail, { i: 1 });
  assert.deepEqual(
    h.events({ limit: 3 }).map((e) => e.name),
    ["e47", "e48", "e49"],
  );
  assert.deepEqual(
    h.events({ fromS: 10, toS: 12 }).map((e) => e.name),
    ["e10", "e11", "e12"],
  );
  h.close();
});

test("group voltages round-trip at float32 precision", () => {
  const h = new SqliteHistory(freshPath());
  const g = Array.from({ length: 110 }, (_, i) => 3.6 + i * 1e-3);
  h.recordTelemetry({ ...sample(5, 0, () => 0), groupVoltageV: g });
  const got = h.groupVoltagesAt(4.2);
  assert.ok(got);
  assert.equal(got.timeS, 5);
  assert.deepEqual(got.groupVoltageV, g.map(Math.fround));
  h.close();
});

test("retention deletes telemetry and events older than their ages, keeps the rest", () => {
  const path = freshPath();
  const day = 24 * 3600 * 1000;
  const now = 1_800_000_000_000;
  const h = new SqliteHistory(path, {
    telemetryPeriodS: 0,
    retention: { telemetryMaxAgeS: 2 * 86400, eventMaxAgeS: 10 * 86400 },
    now: () => now,
  });
  for (let d = 0; d < 20; d++) {
    h.recordTelemetry(sample(d, now - d * day - 1, () => d));
    h.recordEvent({ timeS: d, wallMs: now - d * day - 1, kind: "alarm", name: `d${d}` });
  }
  h.flush();
  const deleted = h.applyRetention(now);
  // Ages d·day + 1 ms: telemetry survives for d < 2, events for d < 10.
  assert.deepEqual(deleted, { telemetry: 18, events: 10 });
  assert.deepEqual(h.telemetry().values.packVoltageV, [0, 1]);
  assert.equal(h.events().length, 10);
  h.close();
});

test("each store opens a new run; earlier runs stay readable; the file is in WAL mode", () => {
  const path = freshPath();
  const a = new SqliteHistory(path, { runName: "first" });
  a.recordTelemetry(sample(0, Date.now(), () => 1));
  a.close();
  const b = new SqliteHistory(path, { runName: "second" });
  assert.equal(b.run, a.run + 1);
  assert.deepEqual(
    b.runs().map((r) => r.name),
    ["second", "first"],
  );
  assert.deepEqual(b.telemetry({ run: a.run }).values.packVoltageV, [1]);
  assert.deepEqual(b.telemetry().timeS, []);
  b.close();
  const db = new Database(path, { readonly: true });
  assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
  db.close();
});

test("records are committed within the commit interval without an explicit flush", async () => {
  const path = freshPath();
  const h = new SqliteHistory(path, { commitIntervalS: 0.05 });
  h.recordEvent({ timeS: 0, wallMs: 0, kind: "control", name: "pause" });
  await new Promise((r) => setTimeout(r, 300));
  const db = new Database(path, { readonly: true });
  const n = (db.prepare("SELECT COUNT(*) AS n FROM events").get() as { n: number }).n;
  db.close();
  h.close();
  assert.equal(n, 1);
});

test("using a closed store is an error that names the file", () => {
  const path = freshPath();
  const h = new SqliteHistory(path);
  h.close();
  assert.throws(() => h.recordEvent({ timeS: 0, wallMs: 0, kind: "x", name: "y" }), /closed/);
});
