import assert from "node:assert/strict";
import { test } from "node:test";
import { type ControllerChoice, controllerFor } from "@coxswain/core/live/controllers";
import { LiveSession } from "@coxswain/core/live/session";
import { TwinSimulation } from "@coxswain/core/live/twin-session";
import { loadScenarioWithResources } from "../src/scenarios.ts";
import { ScriptedSimulation } from "./server-fixture.ts";

const loaded = loadScenarioWithResources("default");
const simulation = (controller: ControllerChoice): TwinSimulation =>
  new TwinSimulation({ ...loaded, ...controllerFor(controller, loaded.model), repeatPhases: 1 });

test("the live twin is deterministic: the same seed gives the same frames however the time is sliced", () => {
  const a = simulation("bms");
  const b = simulation("bms");
  for (let k = 0; k < 8; k++) a.advance(0.5);
  for (let k = 0; k < 2; k++) b.advance(2);
  assert.equal(JSON.stringify(a.frame()), JSON.stringify(b.frame()));
  assert.equal(a.frame().groups.voltageV.length, 110);
});

test("a live internal short drains its group by the charge its short resistance conducts", () => {
  const clean = simulation("reference");
  const faulty = simulation("reference");
  clean.advance(20);
  faulty.advance(20);
  const g = 5;
  const ohm = 2;
  faulty.injectFault({ kind: "internal-short", group: g, value: ohm });
  // Independent expectation: the shorted cell leaks V/R; the group's cells share it, so the group's mean SOC
  // falls by ∫V/R dt / (Np · Q · 3600) more than in the same pack without the short.
  const np = faulty.twin.pack.np;
  const q = faulty.twin.model.capacityAh;
  let leakAs = 0;
  const dt = 1;
  for (let k = 0; k < 120; k++) {
    const v0 = faulty.twin.pack.cellVoltageV[g * np];
    clean.advance(dt);
    faulty.advance(dt);
    leakAs += ((v0 + faulty.twin.pack.cellVoltageV[g * np]) / 2 / ohm) * dt;
  }
  const lag = (s: TwinSimulation) => {
    const soc = s.frame().groups.soc as number[];
    const others = soc.filter((_, i) => i !== g);
    return others.reduce((a, x) => a + x, 0) / others.length - soc[g];
  };
  const expected = leakAs / (np * q * 3600);
  const measured = lag(faulty) - lag(clean);
  assert.ok(Math.abs(measured - expected) < 0.1 * expected, `SOC lag ${measured} vs ${expected}`);
  assert.equal(faulty.clearFaults(), 1);
  assert.ok(faulty.twin.pack.shortOhm.every((r) => r === 0));
  assert.deepEqual(faulty.activeFaults(), []);
});

test("losing the monitoring link makes the BMS raise an alarm, cut its limits and open the contactors", () => {
  const s = simulation("bms");
  // Runs at the BMS's own 10 ms period: until the contactors have closed.
  for (let k = 0; k < 30 && !s.frame().contactors.positive; k++) s.advance(1);
  s.advance(2);
  const before = s.frame();
  assert.deepEqual(before.alarms, []);
  assert.ok(before.limits.dischargeCurrentMaxA > 0);
  assert.ok(before.contactors.positive);
  s.drainEvents();
  const fault = s.injectFault({ kind: "comms-lost" });
  assert.equal(fault.id, 1);
  s.advance(5);
  const after = s.frame();
  assert.ok(after.alarms.length > 0);
  assert.ok(
    after.alarms.every((a) => a.text.length > 20),
    "alarms come with explanations",
  );
  assert.equal(after.limits.chargeCurrentMaxA, 0);
  assert.equal(after.limits.dischargeCurrentMaxA, 0);
  assert.notEqual(after.limits.dischargeReason, "nominal");
  assert.equal(after.contactors.positive, false);
  assert.ok(s.drainEvents().some((e) => e.kind === "alarm"));
  assert.deepEqual(
    after.faults.map((f) => f.kind),
    ["comms-lost"],
  );
  s.clearFaults(1);
  assert.equal(s.twin.sensors.commsLost, false);
});

test("an unknown fault kind is refused by the simulation too", () => {
  assert.throws(() => simulation("reference").injectFault({ kind: "meteor" }), /kind.*meteor/);
});

test("the session advances wall time × speed in slices, not while paused, and caps a late tick", () => {
  let wallMs = 0;
  const sim = new ScriptedSimulation();
  const session = new LiveSession(sim, { speed: 60, now: () => wallMs, maxAdvancePerTickS: 30 });
  session.start();
  session.stop();
  wallMs += 100;
  session.tick();
  assert.deepEqual(
    sim.advanced,
    [1, 1, 1, 1, 1, 1].map((x) => x),
  );
  session.setPaused(true);
  wallMs += 100;
  session.tick();
  assert.equal(sim.advanced.length, 6);
  session.setPaused(false);
  wallMs += 10_000; // a tick ten seconds late advances at most 30 s
  session.tick();
  assert.ok(Math.abs(sim.timeS - 36) < 1e-9);
  assert.throws(() => session.setSpeed(0), /speed/);
  assert.equal(session.latest()?.speed, 60);
});
