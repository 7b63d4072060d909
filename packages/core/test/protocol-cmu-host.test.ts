import assert from "node:assert/strict";
import { test } from "node:test";
import {
  applyBalancingFrame,
  CmuMonitor,
  CoxswainHostProtocol,
  canFrame,
  celsiusToKelvin,
  encodeBalancing,
  encodeCmuDiagnostics,
  encodeCmuTemperatures,
  encodeCmuVoltages,
  encodeMeasurements,
  hostCodec,
  type Measurements,
  noAlarms,
  Rng,
  readHostFrames,
} from "../src/index.ts";
import type { Reading, ReadingBank } from "../src/twin/interfaces.ts";
import { homeBatteryStatus } from "./protocol-fixtures.ts";

test("110 group voltages and temperatures cross the CMU link to 0.1 mV and 0.01 K", () => {
  const rng = new Rng(3);
  const n = 110;
  const v = Float64Array.from({ length: n }, () => rng.range(2.5, 4.2));
  const t = Float64Array.from({ length: n }, () => celsiusToKelvin(rng.range(-20, 60)));
  const frames = [...encodeCmuVoltages(v, 0), ...encodeCmuTemperatures(t, 0)];
  assert.equal(frames.length, 2 * Math.ceil(n / 3));
  const mon = new CmuMonitor(n);
  for (const f of frames) assert.equal(mon.receive(f, 5), true);
  for (let g = 0; g < n; g++) {
    assert.ok(Math.abs(mon.voltages_V[g] - v[g]) <= 0.00005 + 1e-12, `group ${g}`);
    assert.ok(Math.abs(mon.temps_K[g] - t[g]) <= 0.005 + 1e-9, `group ${g}`);
  }
  assert.equal(mon.oldestVoltageAge_s(5.25), 0.25);
  assert.equal(mon.receive(canFrame(0x123, [1, 2, 3, 4, 5, 6, 7, 8]), 5), false);
});

test("the monitor ages data that stop arriving, and ignores frames whose counter is frozen", () => {
  const mon = new CmuMonitor(6);
  const v = [3.6, 3.61, 3.62, 3.63, 3.64, 3.65];
  for (const f of encodeCmuVoltages(v, 1)) mon.receive(f, 1);
  // Only the second block keeps coming, first with a frozen counter, then a fresh one.
  const [, second] = encodeCmuVoltages(v, 1);
  mon.receive(second, 2);
  assert.equal(mon.repeatedCounters, 1);
  assert.equal(mon.voltageTime_s[3], 1);
  mon.receive(encodeCmuVoltages(v, 2)[1], 3);
  assert.equal(mon.voltageTime_s[3], 3);
  assert.equal(mon.oldestVoltageAge_s(4), 3, "groups 1-3 were last heard at t = 1");
  assert.equal(new CmuMonitor(2).oldestVoltageAge_s(0), Number.POSITIVE_INFINITY);
  assert.throws(() => new CmuMonitor(145), /got 145, expected an integer 1…144/);
});

test("balancing switches and board diagnostics round-trip", () => {
  const n = 110;
  const on = Array.from({ length: n }, (_, g) => g % 7 === 0 || g === 109);
  const frames = encodeBalancing(on, 4);
  assert.equal(frames.length, 3);
  const got = new Uint8Array(n);
  for (const f of frames) assert.ok(applyBalancingFrame(f, got));
  assert.deepEqual([...got], on.map(Number));
  const mon = new CmuMonitor(n);
  const d = {
    boardId: 3,
    openWire: true,
    thermistorFault: false,
    adcFault: false,
    boardOverTemp: true,
    balancingActive: true,
    boardTemp_K: celsiusToKelvin(71),
    errorCount: 12,
    firstGroup: 36,
    groupCount: 12,
  };
  mon.receive(encodeCmuDiagnostics(d, 0), 7);
  assert.deepEqual(mon.diagnostics.get(3), { ...d, time_s: 7 });
});

test("coxswain host protocol: a host reading the frames gets the status back within resolution", () => {
  const s = homeBatteryStatus({
    packVoltage_V: 402.37,
    packCurrent_A: 187.4,
    alarms: { ...noAlarms(), insulation: true },
    warnings: { ...noAlarms(), cellImbalance: true, contactor: true },
    contactors: "precharge",
    requests: { chargeEnable: true, dischargeEnable: false, forceCharge: false, fullCharge: true },
  });
  const p = new CoxswainHostProtocol();
  const frames = p.encode(s);
  const back = readHostFrames(frames);
  for (const [key, tol] of [
    ["packVoltage_V", 0.005],
    ["packCurrent_A", 0.05],
    ["soc", 0.0005],
    ["chargeVoltageLimit_V", 0.05],
    ["minCellVoltage_V", 0.00005],
    ["maxTemp_K", 0.005],
  ] as const)
    assert.ok(Math.abs((back[key] as number) - (s[key] as number)) <= tol + 1e-9, key);
  assert.equal(back.minCellVoltageGroup, s.minCellVoltageGroup);
  assert.equal(back.maxTempSensor, s.maxTempSensor);
  assert.deepEqual(back.alarms, s.alarms);
  assert.deepEqual(back.warnings, s.warnings);
  assert.deepEqual(back.requests, s.requests);
  assert.equal(back.contactors, "precharge");
  // The rolling counter advances with every cycle.
  const counter = (fs: typeof frames) => hostCodec().decode(fs[0])!.values.BMS_Counter;
  assert.equal(counter(p.encode(s)), 1);
  const cmd = hostCodec().encode("HOST_Command", { HOST_ContactorRequest: "close", HOST_Counter: 5 });
  assert.deepEqual(p.receive(cmd, 3), { kind: "contactor-request", request: "close", time_s: 3 });
});

function sampleMeasurements(rng: Rng, groups: number, sensors: number): Measurements {
  const bank = (n: number, f: () => number): ReadingBank => ({
    value: Float64Array.from({ length: n }, f),
    valid: new Uint8Array(n).fill(1),
    ageS: new Float64Array(n),
  });
  const reading = (value: number): Reading => ({ value, valid: true, ageS: 0 });
  return {
    timeS: 12.3,
    groupVoltageV: bank(groups, () => Math.round(rng.range(3.2, 4.1) * 1e4) / 1e4),
    temperatureK: bank(sensors, () => Math.round(celsiusToKelvin(rng.range(15, 45)) * 10) / 10),
    packCurrentA: reading(-123.45),
    packVoltageV: reading(401.23),
    linkVoltageV: reading(399.87),
    insulationOhm: reading(2.5e6),
    coolantInletK: reading(celsiusToKelvin(22.4)),
    contactors: { positive: true, negative: true, precharge: false },
    commsOk: true,
  };
}

test("Measurements cross the CMU link: values within resolution, invalid readings and staleness preserved", () => {
  const rng = new Rng(21);
  const m = sampleMeasurements(rng, 110, 57);
  m.groupVoltageV.valid[17] = 0; // open wire on group 18
  m.temperatureK.valid[5] = 0; // thermistor fault
  m.coolantInletK = { value: Number.NaN, valid: false, ageS: 0 };
  const frames = encodeMeasurements(m, 1);
  assert.equal(frames.length, Math.ceil(110 / 3) + Math.ceil(57 / 3) + 3);
  const mon = new CmuMonitor(110, 57);
  for (const f of frames) mon.receive(f, 10);
  const got = mon.measurements(10.05, 1);
  for (let g = 0; g < 110; g++) {
    if (g === 17) continue;
    assert.ok(Math.abs(got.groupVoltageV.value[g] - m.groupVoltageV.value[g]) < 1e-9, `group ${g}`);
  }
  for (let t = 0; t < 57; t++)
    if (t !== 5)
      assert.ok(Math.abs(got.temperatureK.value[t] - m.temperatureK.value[t]) < 1e-9, `sensor ${t}`);
  assert.equal(got.groupVoltageV.valid[17], 0);
  assert.ok(Number.isNaN(got.groupVoltageV.value[17]), "never had a good value");
  assert.equal(
    got.groupVoltageV.valid.reduce((a, b) => a + b, 0),
    109,
  );
  assert.equal(got.temperatureK.valid[5], 0);
  assert.ok(Math.abs(got.groupVoltageV.ageS[0] - 0.05) < 1e-12);
  assert.deepEqual(got.packCurrentA, { value: -123.45, valid: true, ageS: got.packCurrentA.ageS });
  assert.equal(got.packVoltageV.value, 401.23);
  assert.equal(got.linkVoltageV.value, 399.87);
  assert.equal(got.insulationOhm.value, 2.5e6);
  assert.equal(got.coolantInletK.valid, false);
  assert.deepEqual(got.contactors, m.contactors);
  assert.equal(got.commsOk, true);

  // The next cycle reports group 1 as "not available": it keeps its last good value but is invalid.
  m.groupVoltageV.valid[0] = 0;
  for (const f of encodeMeasurements(m, 2)) mon.receive(f, 10.1);
  const next = mon.measurements(10.1, 1);
  assert.equal(next.groupVoltageV.valid[0], 0);
  assert.equal(next.groupVoltageV.value[0], got.groupVoltageV.value[0]);
  // Then the monitoring link goes quiet: everything goes invalid after the timeout and commsOk drops.
  const late = mon.measurements(11.2, 1);
  assert.equal(late.commsOk, false);
  assert.equal(
    late.groupVoltageV.valid.reduce((a, b) => a + b, 0),
    0,
  );
  assert.equal(late.packCurrentA.valid, false);
  assert.ok(Math.abs(late.packCurrentA.ageS - 1.1) < 1e-9);
});
