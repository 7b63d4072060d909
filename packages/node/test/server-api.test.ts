import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { LiveSession, type TelemetryFrame } from "@coxswain/core/live/session";
import type { FastifyInstance } from "fastify";
import WebSocket from "ws";
import { SqliteHistory } from "../src/history/sqlite.ts";
import { createServer } from "../src/server/app.ts";
import { recordSession } from "../src/server/record.ts";
import { loadOrCreateToken } from "../src/server/token.ts";
import { ScriptedSimulation } from "./server-fixture.ts";

const dir = mkdtempSync(join(tmpdir(), "coxswain-server-"));
let app: FastifyInstance;
let base: string;
let token: string;
let sim: ScriptedSimulation;
let session: LiveSession;
let history: SqliteHistory;

before(async () => {
  sim = new ScriptedSimulation();
  session = new LiveSession(sim, { frameRateHz: 20 });
  history = new SqliteHistory(join(dir, "history.sqlite"), { telemetryPeriodS: 0 });
  recordSession(session, history);
  token = loadOrCreateToken(join(dir, "state")).token;
  const web = join(dir, "web");
  mkdirSync(join(web, "assets"), { recursive: true });
  writeFileSync(join(web, "index.html"), "<!doctype html><title>dash</title>");
  writeFileSync(join(web, "assets", "app.js"), "console.log(1)");
  writeFileSync(join(dir, "secret.txt"), "do not serve");
  app = await createServer({ session, history, token, host: "127.0.0.1", staticDir: web });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const addr = app.server.address();
  assert.ok(addr && typeof addr === "object");
  base = `http://127.0.0.1:${addr.port}`;
  session.start();
});

after(async () => {
  session.stop();
  await app.close();
  history.close();
  rmSync(dir, { recursive: true, force: true });
});

const auth = (): Record<string, string> => ({ authorization: `Bearer ${token}` });

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  const r = await fetch(base + path, init);
  const text = await r.text();
  return { status: r.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const snapshot = (): string => JSON.stringify({ ...session.state(), timeS: 0 });

test("the token file is created once, with mode 0600, and reused", () => {
  const stateDir = join(dir, "state2");
  const a = loadOrCreateToken(stateDir);
  assert.equal(a.created, true);
  assert.match(a.token, /^[0-9a-f]{64}$/);
  assert.equal(statSync(a.path).mode & 0o777, 0o600);
  const b = loadOrCreateToken(stateDir);
  assert.equal(b.created, false);
  assert.equal(b.token, a.token);
  assert.notEqual(loadOrCreateToken(join(dir, "state3")).token, a.token);
  writeFileSync(a.path, "not a token");
  assert.throws(() => loadOrCreateToken(stateDir), /64 hex digits/);
});

test("status is readable without a token on loopback", async () => {
  const r = await call("GET", "/api/status");
  assert.equal(r.status, 200);
  assert.equal((r.json["info"] as { scenario: string }).scenario, "scripted");
  assert.equal((r.json["faultKinds"] as unknown[]).length, 3);
});

const controls: [string, string, unknown][] = [
  ["POST", "/api/pause", { paused: true }],
  ["POST", "/api/speed", { speed: 10 }],
  ["POST", "/api/ambient", { ambientC: 40 }],
  ["POST", "/api/faults", { kind: "comms-loss" }],
  ["DELETE", "/api/faults", undefined],
];

test("control without a token, or with a wrong one, is refused with 401 and changes nothing", async () => {
  const before = snapshot();
  for (const [method, path, body] of controls) {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${"0".repeat(64)}` },
      { authorization: token },
      { authorization: `Bearer ${token.slice(1)}` },
    ];
    for (const headers of attempts) {
      const r = await call(method, path, body, headers);
      assert.equal(r.status, 401, `${method} ${path} with ${JSON.stringify(headers)}`);
      assert.match(String(r.json["error"]), /Authorization: Bearer/);
    }
  }
  assert.equal(snapshot(), before);
});

test("malformed payloads get 4xx naming the field, and change nothing", async () => {
  const before = snapshot();
  const cases: [string, unknown, number, RegExp][] = [
    ["/api/pause", "{not json", 400, /JSON/i],
    ["/api/pause", { paused: "yes" }, 400, /paused/],
    ["/api/pause", {}, 400, /paused/],
    ["/api/speed", { speed: 0 }, 400, /speed.*0\.1/],
    ["/api/speed", { speed: 1e9 }, 400, /speed/],
    ["/api/speed", { speed: 5, extra: 1 }, 400, /extra/],
    ["/api/ambient", { ambientC: 200 }, 400, /ambientC.*200.*60/],
    ["/api/ambient", { ambientK: 300 }, 400, /ambientK/],
    ["/api/faults", { kind: "meteor" }, 400, /kind.*meteor/],
    ["/api/faults", { kind: "cell-short" }, 400, /group/],
    ["/api/faults", { kind: "cell-short", group: 4 }, 400, /group.*4.*<= 3/],
    ["/api/faults", { kind: "cell-short", group: 1.5 }, 400, /group/],
    ["/api/faults", { kind: "cell-short", group: 1, value: 0 }, 400, /value.*0\.1 to 1000/],
    ["/api/faults", { kind: "sensor-open", group: 1 }, 400, /group/],
    ["/api/faults", { kind: "comms-loss", value: 3 }, 400, /value/],
    ["/api/faults", [1, 2], 400, /object/],
  ];
  for (const [path, body, status, message] of cases) {
    const r = await call("POST", path, body, auth());
    assert.equal(r.status, status, `${path} ${JSON.stringify(body)}: ${JSON.stringify(r.json)}`);
    assert.match(JSON.stringify(r.json), message, `${path} ${JSON.stringify(body)}`);
  }
  const text = await call("POST", "/api/speed", "speed=3", { ...auth(), "content-type": "text/plain" });
  assert.equal(text.status, 400);
  assert.match(String(text.json["error"]), /speed=3.*object/);
  const form = await call("POST", "/api/speed", "speed=3", {
    ...auth(),
    "content-type": "application/x-www-form-urlencoded",
  });
  assert.equal(form.status, 415);
  const huge = await call("POST", "/api/faults", { kind: "x".repeat(20_000) }, auth());
  assert.equal(huge.status, 413);
  const del = await call("DELETE", "/api/faults/abc", undefined, auth());
  assert.equal(del.status, 400);
  assert.equal(snapshot(), before);
  assert.equal(sim.activeFaults().length, 0);
});

test("valid control requests with the token take effect and are recorded as events", async () => {
  let r = await call("POST", "/api/ambient", { ambientC: 35 }, auth());
  assert.equal(r.status, 200);
  assert.ok(Math.abs(sim.ambientK - 308.15) < 1e-9);
  r = await call("POST", "/api/speed", { speed: 60 }, auth());
  assert.equal(r.json["speed"], 60);
  r = await call("POST", "/api/faults", { kind: "cell-short", group: 2, value: 5 }, auth());
  assert.equal(r.status, 201);
  assert.deepEqual({ ...r.json, sinceS: 0 }, { kind: "cell-short", group: 2, value: 5, id: 1, sinceS: 0 });
  assert.equal(sim.activeFaults().length, 1);
  r = await call("DELETE", "/api/faults/7", undefined, auth());
  assert.equal(r.status, 404);
  r = await call("DELETE", "/api/faults/1", undefined, auth());
  assert.deepEqual(r.json, { cleared: 1 });
  r = await call("POST", "/api/pause", { paused: true }, auth());
  assert.equal(r.json["paused"], true);
  const t = sim.timeS;
  await new Promise((res) => setTimeout(res, 150));
  assert.equal(sim.timeS, t, "paused sessions do not advance");
  await call("POST", "/api/pause", { paused: false }, auth());
  await call("POST", "/api/speed", { speed: 1 }, auth());
  const events = await call("GET", "/api/history/events?kind=control");
  const names = (events.json as unknown as { name: string }[]).map((e) => e.name);
  assert.deepEqual(names, ["ambient", "speed", "pause", "resume", "speed"]);
  const faults = await call("GET", "/api/history/events?kind=fault");
  assert.equal((faults.json as unknown as unknown[]).length, 1);
});

test("history queries validate their parameters", async () => {
  for (const q of ["maxPoints=0", "maxPoints=abc", "from=x", "bogus=1", "kind=DROP%20TABLE", "run=-1"]) {
    const path = q.startsWith("kind") ? "/api/history/events" : "/api/history/telemetry";
    const r = await call("GET", `${path}?${q}`);
    assert.equal(r.status, 400, q);
    assert.match(String(r.json["error"]), /invalid/);
  }
  await new Promise((res) => setTimeout(res, 200));
  const r = await call("GET", "/api/history/telemetry?maxPoints=5");
  assert.equal(r.status, 200);
  const series = r.json as unknown as { timeS: number[]; values: { packVoltageV: number[] } };
  assert.ok(series.timeS.length >= 1 && series.timeS.length <= 5, JSON.stringify(series));
  for (const v of series.values.packVoltageV) assert.ok(Math.abs(v - 14.8) < 1e-12);
});

test("the WebSocket streams frames whose time advances, and events", async () => {
  const ws = new WebSocket(`${base.replace("http", "ws")}/api/live`);
  const frames: TelemetryFrame[] = [];
  const kinds: string[] = [];
  await new Promise<void>((resolve, reject) => {
    ws.onerror = () => reject(new Error("websocket error"));
    ws.onmessage = (m: WebSocket.MessageEvent) => {
      const msg = JSON.parse(String(m.data)) as { type: string; frame?: TelemetryFrame };
      kinds.push(msg.type);
      if (msg.frame) frames.push(msg.frame);
      if (frames.length >= 4) resolve();
    };
  });
  ws.close();
  assert.equal(kinds[0], "hello");
  for (let i = 1; i < frames.length; i++) {
    assert.ok(frames[i].seq > frames[i - 1].seq);
    assert.ok(frames[i].timeS >= frames[i - 1].timeS);
  }
  assert.equal(frames[0].groups.voltageV.length, 4);
});

test("static files are served, paths outside the dashboard are not, unknown API routes are 404", async () => {
  let r = await fetch(`${base}/`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type") ?? "", /text\/html/);
  r = await fetch(`${base}/assets/app.js`);
  assert.match(r.headers.get("content-type") ?? "", /javascript/);
  for (const p of ["/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"]) {
    const body = await (await fetch(base + p)).text();
    assert.doesNotMatch(body, /do not serve/, p);
  }
  const api = await call("GET", "/api/nothing");
  assert.equal(api.status, 404);
});

test("off loopback, reads need the token too", async () => {
  const open = await createServer({ session, token, host: "0.0.0.0" });
  const denied = await open.inject({ method: "GET", url: "/api/status" });
  assert.equal(denied.statusCode, 401);
  const ok = await open.inject({ method: "GET", url: "/api/status", headers: auth() });
  assert.equal(ok.statusCode, 200);
  const viaQuery = await open.inject({ method: "GET", url: `/api/telemetry?token=${token}` });
  assert.notEqual(viaQuery.statusCode, 401);
  await open.close();
});
