import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { loadCellModel } from "../src/cell/params.ts";
import {
  cmuLinkController,
  compareDecisions,
  type Decision,
  decisionsCsv,
  hilBmsController,
  MemoryHilLink,
  runHil,
} from "../src/hil/index.ts";
import { type Controller, idleCommands, type Measurements, type PackInfo } from "../src/twin/interfaces.ts";
import { Twin } from "../src/twin/runner.ts";
import { parseScenario, type Scenario } from "../src/twin/scenario.ts";

const model = loadCellModel(
  JSON.parse(readFileSync(new URL("../params/lg-m50.json", import.meta.url), "utf8")),
);
const NO_SCHEDULES = { speedSchedules: {} };

/** The default scenario's cells, spread and sensors on a 24s4p pack and a minute of load, to stay quick. */
function shortScenario(): Scenario {
  const json = JSON.parse(readFileSync(new URL("../scenarios/default.json", import.meta.url), "utf8"));
  json.pack.seriesGroups = 24;
  json.pack.parallelCells = 4;
  json.phases = [
    { kind: "rest", durationS: 2 },
    { kind: "current", currentA: -40, durationS: 30 },
    { kind: "charge", currentA: 15, cellVoltageV: 4.15, maxDurationS: 30 },
  ];
  return parseScenario(json, "hil-short");
}

test("over the CMU link the controller gets the twin's readings to the last bit of a double", () => {
  const s = shortScenario();
  const link = new MemoryHilLink();
  const c = cmuLinkController(hilBmsController(model, s.sensors.samplePeriodS), link, {
    timeoutS: s.sensors.timeoutS,
  });
  let calls = 0;
  const probe: Controller<unknown> = {
    ...c,
    step(state, m, t) {
      const out = c.step(state, m, t);
      const seen = c.lastMeasurements()!;
      const ulp = (a: number, b: number) => Math.abs(a - b) <= 2 ** -52 * Math.abs(a);
      for (let g = 0; g < 24; g++) {
        assert.ok(ulp(m.groupVoltageV.value[g], seen.groupVoltageV.value[g]), `group ${g} at ${t} s`);
        assert.equal(seen.groupVoltageV.valid[g], m.groupVoltageV.valid[g]);
      }
      for (let k = 0; k < m.temperatureK.value.length; k++)
        assert.ok(ulp(m.temperatureK.value[k], seen.temperatureK.value[k]), `sensor ${k}`);
      assert.ok(ulp(m.packCurrentA.value, seen.packCurrentA.value));
      assert.ok(ulp(m.packVoltageV.value, seen.packVoltageV.value));
      assert.ok(ulp(m.linkVoltageV.value, seen.linkVoltageV.value));
      // The wire carries insulation in whole ohms.
      assert.ok(Math.abs(m.insulationOhm.value - seen.insulationOhm.value) <= 0.5);
      assert.deepEqual(seen.contactors, m.contactors);
      assert.equal(seen.commsOk, true);
      calls++;
      return out;
    },
  };
  const twin = new Twin(s, model, NO_SCHEDULES, probe);
  twin.advance(20);
  assert.equal(calls, 200);
  // 24 groups → 8 voltage frames, 14 sensors → 5 temperature frames, 3 pack frames, per call.
  assert.equal(link.framesCarried.toBms, 200 * (8 + 5 + 3));
  assert.equal(link.framesCarried.toPlant, 200);
});

test("the BMS decides the same in memory and through the CMU protocol on the bus", () => {
  const s = shortScenario();
  const direct = runHil(s, model, NO_SCHEDULES);
  const bus = runHil(s, model, NO_SCHEDULES, { link: new MemoryHilLink() });
  assert.equal(bus.steps, direct.steps);
  const c = compareDecisions(direct.decisions, bus.decisions);
  assert.equal(c.compared, direct.decisions.length);
  assert.equal(c.compared, direct.steps, "one call per 100 ms plant step");
  assert.equal(c.timeMismatches, 0);
  assert.equal(c.discreteDifferences, 0, JSON.stringify(c.firstDiscreteDifference));
  // Limits are sums and products of readings that differ in the last bit: a few ulps of 100 V.
  for (const [field, d] of Object.entries(c.maxDifference)) assert.ok(d <= 1e-9, `${field} differs by ${d}`);
  // The run exercised what it compares: contactors closed, balancing on, both directions of current.
  const modes = new Set(direct.decisions.map((d) => d.mode));
  for (const m of ["precharge", "discharge", "charge"]) assert.ok(modes.has(m), `mode ${m}`);
  assert.ok(
    direct.decisions.some((d) => d.bleed.includes("1")),
    "some group bled",
  );
  assert.ok(direct.decisions.every((d) => !d.alarms.includes("monitoring.stale")));
});

test("unplugging the monitoring boards opens the contactors within the stale-data limit", () => {
  const s = shortScenario();
  const whole = runHil(s, model, NO_SCHEDULES, { link: new MemoryHilLink() });
  const r = runHil(s, model, NO_SCHEDULES, { link: new MemoryHilLink(), unplugAtS: 20 });
  assert.equal(r.staleLimitS, 0.25);
  const period = r.controllerPeriodS;
  const u = r.unplug!;
  assert.equal(u.closedAtUnplug, true, "the contactors were closed when the link was pulled");
  assert.match(u.alarms, /monitoring\.stale/);
  // The last frame arrived one period before the unplug; the rule fires at the first call where it is older
  // than the limit, so the reaction lies in (limit − period, limit + period].
  assert.ok(u.commandedOpenAfterS > r.staleLimitS - period, `${u.commandedOpenAfterS}`);
  assert.ok(u.commandedOpenAfterS <= r.staleLimitS + period + 1e-9, `${u.commandedOpenAfterS}`);
  assert.ok(u.plantOpenAfterS >= u.commandedOpenAfterS);
  assert.ok(u.plantOpenAfterS <= r.staleLimitS + period + 1e-9, `${u.plantOpenAfterS}`);
  // Until the unplug both runs are the same run.
  const before = (d: Decision) => d.timeS < 20 - 1e-9;
  const c = compareDecisions(whole.decisions.filter(before), r.decisions.filter(before));
  assert.equal(c.identical, c.compared);
  assert.equal(c.compared, 200);
  // And the run without the unplug kept them closed through the discharge.
  assert.equal(whole.decisions.find((d) => d.timeS >= 21)!.contactors, "110");
});

test("the twin's comms-lost fault silences the boards; the BMS notices the data age and opens in time", () => {
  const json = JSON.parse(
    readFileSync(new URL("../scenarios/fault-comms-lost.json", import.meta.url), "utf8"),
  );
  const s = parseScenario(json, "fault-comms-lost");
  const r = runHil(s, model, NO_SCHEDULES, { link: new MemoryHilLink() });
  const lostS = s.faults[0].atS;
  // 12 groups, 7 sensors: 4 + 3 + 3 frames per call, none while the fault is on (30 … 60 s of 90 s).
  assert.equal(r.decisions.length, 900);
  assert.equal(r.framesToBms, 600 * 10);
  const open = r.decisions.find((d) => d.timeS >= lostS - 1e-9 && d.contactors === "000")!;
  assert.match(open.alarms, /monitoring\.stale/);
  const after = open.timeS - lostS;
  assert.ok(
    after > r.staleLimitS - r.controllerPeriodS && after <= r.staleLimitS + r.controllerPeriodS + 1e-9,
  );
  assert.equal(r.decisions.find((d) => d.timeS >= lostS - 0.1 - 1e-9)!.contactors, "110", "closed before");
});

function frame(ns: number, nt: number, t: number, v: number): Measurements {
  const bank = (n: number, x: number) => ({
    value: new Float64Array(n).fill(x),
    valid: new Uint8Array(n).fill(1),
    ageS: new Float64Array(n),
  });
  const r = (value: number) => ({ value, valid: true, ageS: 0 });
  return {
    timeS: t,
    groupVoltageV: bank(ns, v),
    temperatureK: bank(nt, 298.15),
    packCurrentA: r(-12.5),
    packVoltageV: r(ns * v),
    linkVoltageV: r(ns * v),
    insulationOhm: r(5e6),
    coolantInletK: r(298.15),
    contactors: { positive: true, negative: true, precharge: false },
    commsOk: true,
  };
}

test("bleed switches reach the plant as balancing frames; a silent sender ages the readings", () => {
  const ns = 110;
  const pack: PackInfo = {
    seriesGroups: ns,
    parallelCells: 1,
    cellCapacityAh: 5,
    cellVoltageMinV: 2.5,
    cellVoltageMaxV: 4.2,
    cellChargeCurrentMaxA: 5,
    cellDischargeCurrentMaxA: 10,
    chargeTempMinK: 273.15,
    chargeTempMaxK: 318.15,
    dischargeTempMinK: 253.15,
    dischargeTempMaxK: 333.15,
    tempSensors: [{ group: 0, cell: 0 }],
    transferConverters: 0,
    bleedOhm: 30,
    samplePeriodS: 0.1,
  };
  const wanted = Uint8Array.from({ length: ns }, (_, g) => (g % 7 === 3 || g === 109 ? 1 : 0));
  const seen: Measurements[] = [];
  const inner: Controller<null> = {
    name: "fixed",
    periodS: 0.1,
    init: () => null,
    step: (state, m) => {
      seen.push(m);
      return {
        state,
        commands: { ...idleCommands(pack), bleed: wanted.slice(), coolantFlow: 0.25 },
        status: { mode: "test", alarms: [] },
      };
    },
  };
  const link = new MemoryHilLink();
  const c = cmuLinkController(inner, link, { timeoutS: 1, unplugAtS: 0.5 });
  let state = c.init(pack);
  for (let k = 0; k <= 20; k++) {
    const out = c.step(state, frame(ns, 1, k * 0.1, 3.7), k * 0.1);
    state = out.state;
    assert.deepEqual(Array.from(out.commands.bleed), Array.from(wanted), `call ${k}`);
    assert.equal(out.commands.coolantFlow, 0.25);
  }
  assert.equal(link.framesCarried.toPlant, 21 * 3, "three balancing frames of 48 groups per call");
  assert.equal(seen[4].groupVoltageV.value[5], 3.7);
  assert.equal(seen[4].commsOk, true);
  // Last frame at 0.4 s: at 1.4 s it is exactly the timeout old, at 1.5 s older.
  assert.equal(seen[14].commsOk, true);
  assert.equal(seen[15].commsOk, false);
  assert.equal(seen[15].groupVoltageV.valid[0], 0);
  assert.ok(Math.abs(seen[15].groupVoltageV.ageS[0] - 1.1) < 1e-9);
  assert.equal(seen[15].groupVoltageV.value[0], 3.7, "the last good value is kept");
});

test("decision comparison counts discrete and continuous differences", () => {
  const d = (timeS: number, bleed: string, limit: number): Decision => ({
    timeS,
    contactors: "110",
    chargeCurrentMaxA: limit,
    dischargeCurrentMaxA: 100,
    chargeVoltageMaxV: 400,
    dischargeVoltageMinV: 300,
    coolantFlow: 0,
    heaterW: 0,
    bleed,
    mode: "drive",
    alarms: "",
  });
  const a = [d(0, "00", 50), d(0.1, "01", 50), d(0.2, "01", 50)];
  const b = [d(0, "00", 50), d(0.1, "00", 50.5), d(0.2, "01", 50), d(0.3, "01", 50)];
  const c = compareDecisions(a, b);
  assert.equal(c.compared, 3);
  assert.equal(c.identical, 2);
  assert.equal(c.discreteDifferences, 1);
  assert.deepEqual(c.firstDiscreteDifference, { timeS: 0.1, field: "bleed", a: "01", b: "00" });
  assert.deepEqual(c.differingCalls, { contactors: 0, mode: 0, alarms: 0, bleed: 1 });
  assert.equal(c.continuousDifferences, 1);
  assert.equal(c.maxDifference.chargeCurrentMaxA, 0.5);
  const csv = decisionsCsv([d(0.1, "01", 0.1 + 0.2)]).split("\n");
  assert.equal(csv.length, 3);
  assert.equal(csv[1], "0.1,110,0.30000000000000004,100,400,300,0,0,01,drive,");
});

test("bad HIL options are refused with a clear message", () => {
  const s = shortScenario();
  assert.throws(() => runHil(s, model, NO_SCHEDULES, { unplugAtS: 1 }), /unplugAtS needs a link/);
  assert.throws(
    () => cmuLinkController(hilBmsController(model, 0.1), new MemoryHilLink(), { timeoutS: 0 }),
    /timeoutS: got 0, expected a number > 0/,
  );
});
