import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type BmsState,
  type Commands,
  celsiusToKelvin,
  createBmsController,
  defaultBmsConfig,
  emptyReactions,
  HostLimitState,
  rateLimited,
  updateHostLimits,
} from "../src/index.ts";
import type { Measurements } from "../src/twin/interfaces.ts";
import { cell, type FrameOptions, frame, testPack } from "./bms-fixtures.ts";

const pack = testPack();
const cfg = defaultBmsConfig(pack, cell);
const zeroClock = () => 0;

/** Drives the controller with frames whose contactor feedback and link voltage follow the last commands. */
function harness(clock: () => number = zeroClock) {
  const ctrl = createBmsController({ config: cfg, clock });
  const state = ctrl.init(pack);
  let last: Commands | null = null;
  let k = 0;
  const step = (
    o: FrameOptions = {},
    timeS?: number,
  ): { state: BmsState; commands: Commands; m: Measurements } => {
    const c = last?.contactors ?? { positive: false, negative: false, precharge: false };
    const t = timeS ?? k * 0.01;
    const m = frame(pack, { contactors: { ...c }, ...o, timeS: t });
    if (o.linkV === undefined)
      m.linkVoltageV.value = c.negative && (c.positive || c.precharge) ? m.packVoltageV.value : 0;
    const out = ctrl.step(state, m, t);
    last = out.commands;
    k++;
    return { state: out.state, commands: out.commands, m };
  };
  return { ctrl, state, step, ticks: () => k };
}

test("start-up: the first 100 ms task starts the estimator, precharge closes, limits rise at the set rate", () => {
  const h = harness();
  // Ticks 1–9: no estimate yet; tick 10 runs the 100 ms task and requests closing in the same call.
  for (let k = 1; k <= 9; k++) assert.equal(h.step().state.status.mode, "startup");
  assert.equal(h.step().state.contactors.mode, "precharging");
  // Precharge minimum 50 ms = 5 ticks: matched at the 6th tick of precharging.
  for (let k = 0; k < 5; k++) assert.equal(h.step().state.contactors.mode, "precharging");
  assert.equal(h.step().state.contactors.mode, "closed");
  assert.equal(h.state.status.mode, "ready");
  // Initial SOC from the OCV: 3.7 V lies between 3.67 V (0.4) and 3.72 V (0.5) of the test cell's OCV.
  assert.ok(Math.abs(h.state.estimator.soc[0] - (0.4 + (0.03 / 0.05) * 0.1)) < 1e-9);
  // The discharge limit rises by riseFractionPerS × MOL per second (0.1/s): 1 % per 100 ms task.
  const mol = cfg.limits.dischargeCurrent.mol;
  while (h.ticks() < 100) h.step();
  const atOne = h.state.limits.dischargeCurrentMaxA;
  while (h.ticks() < 200) h.step();
  const atTwo = h.state.limits.dischargeCurrentMaxA;
  assert.ok(Math.abs(atTwo - atOne - 0.1 * mol) < 1e-9, `${atTwo} − ${atOne} = 0.1 × ${mol}`);
  assert.equal(h.state.limits.dischargeReason, "recovering (rate limit)");
  while (h.ticks() < 1300) h.step();
  assert.ok(
    Math.abs(h.state.commands.limits.dischargeCurrentMaxA - cfg.hostLimits.currentFraction * mol) < 1e-9,
  );
  assert.equal(h.state.limits.dischargeReason, "nominal");
});

test("the 100 ms and 1 s tasks run on every 10th and 100th call, by count", () => {
  const h = harness();
  const seen: number[] = [];
  for (let k = 1; k <= 30; k++) {
    // A different max voltage each call: the 100 ms aggregate only changes when that task runs.
    const before = h.state.cellVoltageMaxV;
    h.step({ groupV: [3.7, 3.7, 3.7, 3.71 + k * 0.001] });
    if (!Object.is(h.state.cellVoltageMaxV, before)) seen.push(k);
  }
  assert.deepEqual(seen, [10, 20, 30]);
  const closedBefore = h.state.health.closedS;
  while (h.ticks() < 300) h.step();
  // closedS counts whole seconds of the 1 s task while closed: calls 100, 200 and 300 (closed since call 16).
  assert.equal(h.state.health.closedS - closedBefore, 3);
});

test("cell overvoltage: MOL warning derates, RSL stops charging at once, MSL opens the contactors", () => {
  const h = harness();
  while (h.ticks() < 1200) h.step();
  assert.equal(h.state.contactors.mode, "closed");
  const L = cfg.limits.cellVoltageHigh;
  // Every group rises together (no deviation alarm); group 2 is the highest by 1 mV.
  const group = (v: number) => ({ groupV: [v - 0.001, v - 0.001, v, v - 0.001], currentA: 2 });
  // Above the MOL from tick 1200; MOL set delay 1 s = 10 evaluations → active at the 11th 100 ms task.
  let molAt = -1;
  let rslAt = -1;
  let openAt = -1;
  for (let k = 0; k < 400; k++) {
    const tick = h.ticks() + 1;
    const v = tick <= 1400 ? L.mol + 0.005 : tick <= 1500 ? L.rsl + 0.005 : L.trip + 0.002;
    const { state } = h.step(group(v));
    if (molAt < 0 && state.status.alarms.includes("cellVoltageHigh.mol")) molAt = tick;
    if (rslAt < 0 && state.status.alarms.includes("cellVoltageHigh.rsl")) {
      rslAt = tick;
      assert.equal(state.commands.limits.chargeCurrentMaxA, 0, "RSL: charge limit zero in the same call");
      assert.ok(state.commands.limits.dischargeCurrentMaxA > 0, "RSL stops only the charge direction");
      assert.equal(state.limits.chargeReason, "RSL alarm");
    }
    if (openAt < 0 && !state.commands.contactors.positive) {
      openAt = tick;
      assert.ok(state.status.alarms.includes("cellVoltageHigh.msl"));
    }
  }
  // 100 ms evaluations at ticks 1210, 1220, …: violating from 1210, 11th violating evaluation = 1310.
  assert.equal(molAt, 1310);
  // RSL above from tick 1401: evaluations 1410 (1st), 1420 (2nd, set delay 0.2 s = 2 ticks → 3rd) → 1430.
  assert.equal(rslAt, 1430);
  // MSL trip from tick 1501: evaluations 1510, 1520 (set delay 0.1 s = 1 tick → 2nd) → opens in call 1520.
  assert.equal(openAt, 1520);
  assert.equal(h.state.contactors.mode, "fault");
  const a = h.ctrl.alarms(h.state).find((x) => x.id === "cellVoltageHigh.msl");
  assert.ok(a);
  assert.equal(a.where, "group 2");
  assert.equal(a.sinceS, 15.19);
  assert.equal(a.severity, "fault");
  // The log holds every transition in order.
  assert.deepEqual(
    h.state.log.filter((e) => e.id.startsWith("cellVoltageHigh")).map((e) => e.id),
    ["cellVoltageHigh.mol", "cellVoltageHigh.rsl", "cellVoltageHigh.msl"],
  );
});

test("timing monitor: an overrun seen through the injected clock opens the contactors on the next call", () => {
  // A fake clock: 1 µs per reading, except reading number `jumpAt`, which comes 0.2 s late.
  let readings = 0;
  let now = 0;
  let jumpAt = -1;
  const clock = () => {
    readings++;
    now += readings === jumpAt ? 0.2 : 1e-6;
    return now;
  };
  const h = harness(clock);
  while (h.ticks() < 499) h.step();
  assert.equal(readings, 5 * 499, "five clock readings per call");
  assert.equal(h.state.contactors.mode, "closed");
  // The second reading of call 500 ends its 10 ms part: that part took 0.2 s, 20 times its 10 ms budget.
  jumpAt = readings + 2;
  h.step();
  assert.equal(h.state.contactors.mode, "closed", "judged on the next call");
  h.step();
  assert.equal(h.state.contactors.mode, "fault");
  const a = h.ctrl.alarms(h.state).find((x) => x.id === "timing.overrun");
  assert.ok(a);
  assert.equal(a.where, "task 10ms");
  assert.ok(Math.abs(a.value - 20) < 1e-3, `ratio ${a.value}`);
  // A slow 100 ms task within its own 100 ms budget is no overrun.
  const g = harness(clock);
  while (g.ticks() < 499) g.step();
  // Call 500 runs the 100 ms task between its 2nd and 3rd readings: 0.2 s > its 0.1 s budget.
  jumpAt = readings + 3;
  g.step();
  g.step();
  assert.equal(g.ctrl.alarms(g.state).find((x) => x.id === "timing.overrun")?.where, "task 100ms");
});

test("a late call (a missed period) is a timing fault", () => {
  const h = harness();
  while (h.ticks() < 300) h.step();
  // The last call was at 2.99 s.
  h.step({}, 2.99 + 0.024);
  assert.equal(h.state.contactors.mode, "closed", "2.4 periods late is tolerated");
  h.step({}, 3.014 + 0.03);
  assert.equal(h.state.contactors.mode, "fault");
  assert.ok(h.state.status.alarms.includes("timing.late"));
});

test("lost communication and stale data open the contactors after their debounce", () => {
  const h = harness();
  while (h.ticks() < 300) h.step();
  // comms lost: set delay 0.1 s = 10 ticks in the 10 ms task → active on the 11th call.
  let k = 0;
  while (h.state.contactors.mode === "closed" && k < 100) {
    h.step({ commsOk: false });
    k++;
  }
  assert.equal(k, 11);
  assert.ok(h.state.status.alarms.includes("comms.lost"));
  // Stale group voltages (age over 250 ms) trip at once.
  const s = harness();
  while (s.ticks() < 300) s.step();
  const stale = frame(pack, { contactors: { positive: true, negative: true, precharge: false } });
  stale.groupVoltageV.ageS[3] = 0.3;
  s.ctrl.step(s.state, stale, 3.01);
  assert.equal(s.state.contactors.mode, "fault");
  const a = s.ctrl.alarms(s.state).find((x) => x.id === "monitoring.stale");
  assert.equal(a?.where, "group 3");
});

test("a stuck voltage reading is found when the current moves; the operator reset closes again", () => {
  const h = harness();
  while (h.ticks() < 300) h.step({ groupV: [3.7, 3.7001, 3.7, 3.7], currentA: 0 });
  // Current steps by 2 × stuckCurrentStepA; every group moves with it except group 1.
  const step = cfg.plausibility.stuckCurrentStepA * 2;
  let k = 0;
  while (h.state.contactors.mode === "closed" && k < 200) {
    h.step({ groupV: [3.72, 3.7001, 3.72, 3.72], currentA: step });
    k++;
  }
  assert.ok(h.state.status.alarms.includes("voltageSensor.stuck"));
  assert.equal(h.ctrl.alarms(h.state).find((a) => a.id === "voltageSensor.stuck")?.where, "group 1");
  // Set delay 0.2 s = 2 ticks: the 3rd 100 ms evaluation with the frozen value (calls 310, 320, 330).
  assert.equal(k, 30);
  // Reset with a healthy sensor: latches clear, the machine goes open → precharge → closed.
  h.ctrl.requestReset(h.state);
  // (The repaired reading moves every sample; groups move together, so no resistance or deviation alarm.)
  for (let j = 0; j < 50; j++) h.step({ groupV: [3.7, 3.7 + (j % 2) * 1e-5, 3.7, 3.7], currentA: 0 });
  assert.equal(h.state.contactors.mode, "closed");
  assert.deepEqual(h.state.status.alarms, []);
});

test("host limits: derating factors in closed form, each with its reason; tighten at once, relax slowly", () => {
  const L = cfg.limits;
  const s = new HostLimitState();
  const r = emptyReactions();
  const x = {
    cellVoltageMaxV: 3.8,
    cellVoltageMinV: 3.7,
    tempMaxK: L.chargeTempHigh.mol - 0.25 * cfg.hostLimits.tempDerateBandK,
    tempMinK: celsiusToKelvin(25),
    socMax: 0.5,
    socMin: 0.5,
    packVoltageV: 15,
    closed: true,
    socEmpty: 0,
  };
  // Long enough for the rate limit to reach the target.
  for (let k = 0; k < 200; k++) updateHostLimits(cfg, 4, x, r, 0.1, s);
  const f = cfg.hostLimits.currentFraction;
  assert.ok(Math.abs(s.chargeCurrentMaxA - 0.25 * f * L.chargeCurrent.mol) < 1e-12);
  assert.equal(s.chargeReason, "temperature high");
  assert.equal(s.dischargeReason, "nominal");
  // SOC: discharge at socMin = socLowStart / 2 → half.
  updateHostLimits(cfg, 4, { ...x, socMin: cfg.hostLimits.socLowStart / 2 }, r, 0.1, s);
  assert.ok(Math.abs(s.dischargeCurrentMaxA - 0.5 * f * L.dischargeCurrent.mol) < 1e-12, "falls at once");
  assert.equal(s.dischargeReason, "state of charge");
  // Back to nominal: rises by 0.1 × MOL per second only.
  updateHostLimits(cfg, 4, x, r, 0.1, s);
  assert.ok(Math.abs(s.dischargeCurrentMaxA - (0.5 * f + 0.01) * L.dischargeCurrent.mol) < 1e-12);
  assert.equal(s.dischargeReason, "recovering (rate limit)");
  // Cell voltage: 3/4 of the band left on the highest group; MOL warning halves; RSL zeroes.
  const v = L.cellVoltageHigh.mol - 0.75 * cfg.hostLimits.voltageDerateBandV;
  updateHostLimits(cfg, 4, { ...x, tempMaxK: celsiusToKelvin(25), cellVoltageMaxV: v }, r, 0.1, s);
  assert.ok(
    Math.abs(s.chargeCurrentMaxA - (0.25 * f + 0.01) * L.chargeCurrent.mol) < 1e-9,
    "0.75 target, rate-limited from 0.25",
  );
  // Voltage limits: the pack may rise by Ns × what the highest group has left.
  assert.ok(
    Math.abs(
      s.chargeVoltageMaxV - Math.min(4 * L.cellVoltageHigh.mol, 15 + 4 * (L.cellVoltageHigh.mol - v)),
    ) < 1e-9,
  );
  r.derateCharge = true;
  s.baselineChargeA = L.chargeCurrent.mol;
  updateHostLimits(cfg, 4, { ...x, tempMaxK: celsiusToKelvin(25) }, r, 0.1, s);
  assert.equal(s.chargeReason, "MOL warning");
  assert.ok(Math.abs(s.chargeCurrentMaxA - cfg.hostLimits.molDerateFactor * f * L.chargeCurrent.mol) < 1e-12);
  r.stopCharge = true;
  updateHostLimits(cfg, 4, x, r, 0.1, s);
  assert.equal(s.chargeCurrentMaxA, 0);
  assert.equal(s.chargeReason, "RSL alarm");
  updateHostLimits(cfg, 4, { ...x, closed: false }, emptyReactions(), 0.1, s);
  assert.equal(s.dischargeCurrentMaxA, 0);
  assert.equal(s.dischargeReason, "contactors not closed");
  updateHostLimits(cfg, 4, { ...x, closed: true, tempMaxK: Number.NaN }, emptyReactions(), 0.1, s);
  assert.equal(s.chargeReason, "no valid data");
  assert.equal(rateLimited(5, 2, 1), 2);
  assert.equal(rateLimited(2, 5, 1), 3);
});

test("same frames give the same commands, byte for byte", () => {
  const run = () => {
    const h = harness();
    const out: string[] = [];
    for (let k = 0; k < 2000; k++) {
      const { commands } = h.step({
        groupV: [3.7, 3.71 + 1e-5 * k, 3.7, 3.69],
        currentA: Math.sin(k / 50) * 10,
      });
      out.push(JSON.stringify({ ...commands, bleed: [...commands.bleed] }));
    }
    return out.join("\n");
  };
  assert.equal(run(), run());
});

test("group resistance over a current step: a group 1.5 × the mean resistance is found in that 100 ms task", () => {
  const h = harness();
  while (h.ticks() < 300) h.step({ groupV: [3.7, 3.7, 3.7, 3.7], currentA: 0 });
  // Step by 2 × resistanceStepA: groups 0, 1, 3 fall 20 mV, group 2 falls 30 mV → ratio 30 / 22.5 = 1.33 < 1.35.
  const dI = -2 * cfg.plausibility.resistanceStepA;
  while (h.ticks() < 310) h.step({ groupV: [3.68, 3.68, 3.67, 3.68], currentA: dI });
  assert.ok(!h.state.status.alarms.includes("group.resistanceHigh"));
  // Back to rest, then the same step with group 2 falling 40 mV: ratio 40 / 25 = 1.6 → set at once (no delay).
  while (h.ticks() < 400) h.step({ groupV: [3.7, 3.7, 3.7, 3.7], currentA: 0 });
  while (h.ticks() < 409) h.step({ groupV: [3.68, 3.68, 3.66, 3.68], currentA: dI });
  assert.ok(!h.state.status.alarms.includes("group.resistanceHigh"), "not before the 100 ms task");
  h.step({ groupV: [3.68, 3.68, 3.66, 3.68], currentA: dI });
  const a = h.ctrl.alarms(h.state).find((x) => x.id === "group.resistanceHigh");
  assert.ok(a);
  assert.equal(a.where, "group 2");
  assert.ok(Math.abs(a.value - 1.6) < 1e-9, `ratio ${a.value}`);
  assert.equal(h.state.commands.limits.dischargeCurrentMaxA, 0, "stop both directions");
});

test("SOC deviation: a group 30 SOC points from the mean (read through the OCV) opens after 1 s", () => {
  const h = harness();
  while (h.ticks() < 300) h.step({ groupV: [3.8, 3.8, 3.8, 3.8] });
  // Test cell OCV: 3.80 V at SOC 0.6, 3.55 V at 0.2 → mean 0.5, group 3 deviates 0.3 > 0.25.
  let k = 0;
  while (h.state.contactors.mode === "closed" && k++ < 500) h.step({ groupV: [3.8, 3.8, 3.8, 3.55] });
  // Violating from the 100 ms task at call 310; set delay 1 s = 10 evaluations → the 11th, call 410.
  assert.equal(k, 110);
  const a = h.ctrl.alarms(h.state).find((x) => x.id === "soc.deviation");
  assert.equal(a?.where, "group 3");
  assert.ok(a && Math.abs(a.value - 0.3) < 1e-9);
});

test("cooling check: cells 20 K above the coolant after 300 s of full flow raise cooling.ineffective", () => {
  const h = harness();
  // 45 °C commands full flow from the first 100 ms task (call 10, t = 0.09 s); the check counts from the 100 ms
  // task at least 300 s later; the 1 s task at call 30100 (t = 300.99 s) is the first violating evaluation and
  // the 30 s set delay sets it at call 33100 (t = 330.99 s).
  let setAt = Number.NaN;
  while (h.ticks() < 34000) {
    const { state, m } = h.step({ tempC: 45 });
    if (Number.isNaN(setAt) && state.status.alarms.includes("cooling.ineffective")) setAt = m.timeS;
  }
  assert.ok(Math.abs(setAt - 330.99) < 1e-6, `set at ${setAt}`);
  assert.equal(h.state.commands.coolantFlow, 1);
  // Its reaction derates both directions: the discharge limit (not otherwise limited at 45 °C) is halved.
  assert.equal(h.state.limits.dischargeReason, "MOL warning");
  assert.equal(h.state.table.entries[h.state.limits.dischargeEntry].id, "cooling.ineffective");
  const full = cfg.hostLimits.currentFraction * cfg.limits.dischargeCurrent.mol;
  assert.ok(Math.abs(h.state.limits.dischargeCurrentMaxA - 0.5 * full) < 1e-9);
});
