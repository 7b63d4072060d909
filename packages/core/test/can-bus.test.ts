import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CanBus,
  type CanFrame,
  canFrame,
  formatFrame,
  framesEqual,
  LinkSupervisor,
  parseFrame,
} from "../src/index.ts";

test("frames are checked and print in candump style", () => {
  assert.equal(formatFrame(canFrame(0x12, [1, 0xab])), "012#01AB");
  assert.equal(formatFrame(canFrame(0x12, [], true)), "00000012#");
  assert.ok(framesEqual(parseFrame("1ABCDEF0#00FF"), canFrame(0x1abcdef0, [0, 255], true)));
  assert.throws(() => canFrame(0x800, [], false), /got 2048, expected an integer 0…0x7FF for a 11-bit/);
  assert.throws(() => canFrame(1, [1, 2, 3, 4, 5, 6, 7, 8, 9]), /got 9 bytes, expected at most 8/);
  assert.throws(() => canFrame(1, [256]), /data\[0\]: got 256/);
  assert.throws(() => parseFrame("123#ABC"), /expected ID#DATA/);
});

test("the in-process bus delivers to every other port in order, never back to the sender", () => {
  let now = 0;
  const bus = new CanBus(() => now);
  const [a, b, c] = [bus.connect(), bus.connect(), bus.connect()];
  const seen: string[] = [];
  b.onFrame((f, t) => seen.push(`b ${formatFrame(f)} @${t}`));
  c.onFrame((f, t) => seen.push(`c ${formatFrame(f)} @${t}`));
  a.onFrame((f) => seen.push(`a ${formatFrame(f)}`));
  now = 1.5;
  a.send(canFrame(0x100, [1]));
  b.send(canFrame(0x101, [2]));
  assert.deepEqual(seen, ["b 100#01 @1.5", "c 100#01 @1.5", "a 101#02", "c 101#02 @1.5"]);
  assert.deepEqual([a.stats.txFrames, b.stats.rxFrames, c.stats.rxFrames], [1, 1, 2]);
  // A listener that throws is counted, and the others still get the frame.
  c.onFrame(() => {
    throw new Error("boom");
  });
  a.send(canFrame(0x102, []));
  assert.equal(c.stats.errors, 1);
  c.close();
  a.send(canFrame(0x103, []));
  c.send(canFrame(0x104, []));
  assert.equal(c.stats.errors, 2, "sending on a closed port is an error, not a crash");
  assert.equal(bus.portCount, 2);
});

test("the link supervisor times out after exactly its quiet time and recovers on the next frame", () => {
  let now = 0;
  const bus = new CanBus(() => now);
  const tx = bus.connect();
  const rx = bus.connect();
  const sup = new LinkSupervisor(rx, { timeout_s: 0.5, accept: (f: CanFrame) => f.id === 0x600 });
  const changes: string[] = [];
  sup.onChange((h, t) => changes.push(`${h}@${t}`));
  assert.equal(sup.poll(10), "waiting");
  now = 1;
  tx.send(canFrame(0x600, []));
  tx.send(canFrame(0x601, []));
  now = 1.4;
  tx.send(canFrame(0x601, [])); // not a sign of life for this link
  assert.equal(sup.poll(1.5), "ok");
  assert.equal(sup.poll(1.5001), "timeout");
  now = 2;
  tx.send(canFrame(0x600, []));
  assert.equal(sup.health, "ok");
  assert.deepEqual(changes, ["ok@1", "timeout@1.5001", "ok@2"]);
  assert.equal(sup.timeouts, 1);
  assert.throws(() => new LinkSupervisor(rx, { timeout_s: 0 }), /timeout_s: got 0/);
});
