import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CanBus,
  type CanFrame,
  CoxswainHostProtocol,
  canFrame,
  HostProtocolRunner,
  hostCodec,
  PylonProtocol,
} from "../src/index.ts";
import { homeBatteryStatus } from "./protocol-fixtures.ts";

test("the runner sends a cycle every period and loses a Pylon inverter 10 s after its last keep-alive", () => {
  let now = 0;
  const bus = new CanBus(() => now);
  const inverter = bus.connect();
  const seen: CanFrame[] = [];
  inverter.onFrame((f) => seen.push(f));
  const runner = new HostProtocolRunner(new PylonProtocol(), bus.connect());
  const status = homeBatteryStatus();
  const present: boolean[] = [];
  // 30 s at a 100 ms controller cycle; the inverter sends 0x305 every second for the first 12 s.
  for (let k = 0; k <= 300; k++) {
    now = k / 10;
    if (k % 10 === 0 && now <= 12) inverter.send(canFrame(0x305, [0, 0, 0, 0, 0, 0, 0, 0]));
    present.push(runner.tick(now, status).hostPresent);
  }
  // One cycle of six frames per second: t = 0, 1, …, 30.
  assert.equal(runner.state.cycles, 31);
  assert.equal(seen.length, 31 * 6);
  assert.deepEqual([...new Set(seen.map((f) => f.id))], [0x351, 0x355, 0x356, 0x359, 0x35c, 0x35e]);
  assert.equal(runner.state.lastHostFrame_s, 12);
  // Present from the first keep-alive until more than 10 s after the last one (t = 22.1 s).
  assert.equal(present.indexOf(false), 221);
  assert.ok(present.slice(0, 221).every(Boolean));
  assert.ok(present.slice(221).every((p) => !p));
});

test("a coxswain host's contactor request reaches the runner; a stall does not cause a burst", () => {
  let now = 0;
  const bus = new CanBus(() => now);
  const host = bus.connect();
  let frames = 0;
  host.onFrame(() => frames++);
  const runner = new HostProtocolRunner(new CoxswainHostProtocol(), bus.connect());
  const s = homeBatteryStatus();
  assert.equal(runner.tick(0, s).hostPresent, false, "not present before it was heard");
  now = 0.05;
  host.send(hostCodec().encode("HOST_Command", { HOST_ContactorRequest: "close", HOST_Counter: 0 }));
  assert.deepEqual(runner.tick(0.1, s), {
    hostPresent: true,
    contactorRequest: "close",
    lastHostFrame_s: 0.05,
    cycles: 2,
  });
  // The controller stalls for 5 s: one cycle goes out when it resumes, not fifty.
  const before = frames;
  runner.tick(5.1, s);
  assert.equal(frames - before, 6);
  assert.equal(runner.state.hostPresent, false, "1 s host timeout");
  runner.tick(5.15, s);
  assert.equal(frames - before, 6, "next cycle only a period later");
  runner.tick(5.2, s);
  assert.equal(frames - before, 12);
});
