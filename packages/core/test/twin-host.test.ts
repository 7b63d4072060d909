import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../src/random.ts";
import { Ageing } from "../src/twin/ageing.ts";
import { defaultPackConfig, type HostDemand, Pack } from "../src/twin/pack.ts";
import { defaultSensorConfig, Sensors } from "../src/twin/sensors.ts";
import { DEFAULT_VEHICLE, SpeedSchedule, vehicleBatteryPowerW } from "../src/twin/vehicle.ts";
import { celsiusToKelvin, GAS_CONSTANT } from "../src/units.ts";
import { testCell } from "./fixtures.ts";

const T25 = celsiusToKelvin(25);

function smallPack(ns = 4, np = 3) {
  const config = defaultPackConfig(ns, np);
  config.spread = { capacity: 0, resistance: 0, soc: 0, leakA: 0, leakSdA: 0, interconnect: 0 };
  return new Pack(
    testCell(),
    config,
    { soc: 0.5, tempK: T25, ambientK: T25, coolantInletK: T25 },
    new Rng(3),
  );
}

test("vehicle road load at constant speed matches the hand calculation", () => {
  // 20 m/s: drag ½·1.2·0.6·400 = 144 N, rolling 0.009·2000·9.80665 = 176.52 N → 6410.4 W at the wheels.
  const p = vehicleBatteryPowerW(DEFAULT_VEHICLE, 20, 0);
  assert.ok(Math.abs(p - -(6410.394 / 0.9 + 600)) < 1e-3, `${p} W`);
  assert.equal(vehicleBatteryPowerW(DEFAULT_VEHICLE, 0, 0), -600);
});

test("accelerating and braking without losses moves the kinetic energy through the drivetrain", () => {
  const v = { ...DEFAULT_VEHICLE, dragAreaM2: 0, rollingResistance: 0, auxiliaryW: 0 };
  const sched = new SpeedSchedule("ramp", [0, 10, 20], [0, 20, 0]);
  let out = 0;
  let back = 0;
  const dt = 0.1;
  for (let t = 0; t < 20 - 1e-9; t += dt) {
    const s = sched.at(t + dt / 2);
    const p = vehicleBatteryPowerW(v, s.speedMps, s.accelMps2) * dt;
    if (p < 0) out -= p;
    else back += p;
  }
  const ke = 0.5 * v.massKg * 20 * 20;
  assert.ok(Math.abs(out - ke / v.drivetrainEfficiency) < 1e-6 * ke);
  assert.ok(Math.abs(back - ke * v.drivetrainEfficiency * v.regenFraction) < 1e-6 * ke);
});

test("the CC-CV charger holds the pack exactly at its voltage setpoint and the current tapers", () => {
  const pack = smallPack();
  pack.command(
    { positive: true, negative: true, precharge: false },
    new Uint8Array(4),
    new Float64Array(3),
    0,
    0,
  );
  const vSet = 4 * 4.0;
  const d: HostDemand = { currentA: 6, currentMinA: 0, currentMaxA: 6, voltageMinV: 0, voltageMaxV: vSet };
  let inCv = 0;
  let last = Infinity;
  for (let k = 0; k < 40000; k++) {
    pack.step(1, d);
    assert.ok(pack.packVoltageV <= vSet + 1e-9, `pack at ${pack.packVoltageV} V`);
    if (pack.stringCurrentA < 6 - 1e-9) {
      inCv++;
      assert.ok(Math.abs(pack.packVoltageV - vSet) < 1e-9);
      assert.ok(pack.stringCurrentA <= last + 1e-3, "current tapers");
      last = pack.stringCurrentA;
      if (pack.stringCurrentA < 0.3) break;
    }
  }
  assert.ok(inCv > 100 && last < 0.3, `CV steps ${inCv}, final current ${last} A`);
});

test("precharge charges the DC link along R·C", () => {
  const pack = smallPack();
  pack.command(
    { positive: false, negative: true, precharge: true },
    new Uint8Array(4),
    new Float64Array(3),
    0,
    0,
  );
  const tau = pack.config.prechargeOhm * pack.config.linkCapacitanceF;
  const v0 = pack.packVoltageV;
  for (let k = 0; k < 20; k++) pack.step(tau / 10, { ...d0 });
  // After 2τ the link is at 1 − e^−2 of the pack voltage (the pack's own resistance is 0.1 % of R_pre).
  assert.ok(Math.abs(pack.linkVoltageV / v0 - (1 - Math.exp(-2))) < 2e-3, `${pack.linkVoltageV / v0}`);
});
const d0: HostDemand = { currentA: 0, currentMinA: 0, currentMaxA: 0, voltageMinV: 0, voltageMaxV: Infinity };

test("an active balancing converter moves charge from one group to the next with its efficiency", () => {
  const pack = smallPack(2, 2);
  pack.command(
    { positive: false, negative: false, precharge: false },
    new Uint8Array(2),
    Float64Array.of(1.5),
    0,
    0,
  );
  pack.step(1, d0);
  const [v0, v1] = pack.groupVoltageV;
  pack.step(1, d0);
  assert.equal(pack.transferInA[0], -1.5);
  const expected = (pack.config.transferEfficiency * 1.5 * v0) / v1;
  assert.ok(Math.abs(pack.transferInA[1] - expected) < 1e-12);
  assert.ok(Math.abs(pack.groupCurrentA[1] - expected) < 1e-12);
});

test("sensors quantise, add noise of the configured size, and report after their latency", () => {
  const pack = smallPack(2, 1);
  const cfg = defaultSensorConfig(2, 1);
  cfg.latencyS = 0.25;
  cfg.jitterS = 0;
  const sensors = new Sensors(cfg, pack, new Rng(5));
  const vs: number[] = [];
  for (let k = 0; k < 4000; k++) {
    pack.step(0.05, d0);
    sensors.observe(pack);
    const m = sensors.frame(pack.timeS, pack);
    const v = m.groupVoltageV.value[0];
    const steps = v / cfg.groupVoltage.lsb;
    assert.ok(Math.abs(steps - Math.round(steps)) < 1e-6, "on the ADC grid");
    vs.push(v);
  }
  const mean = vs.reduce((a, b) => a + b) / vs.length;
  const sd = Math.sqrt(vs.reduce((a, b) => a + (b - mean) ** 2, 0) / vs.length);
  // Noise 0.8 mV plus quantisation (lsb²/12) on top.
  const expected = Math.sqrt(cfg.groupVoltage.noise ** 2 + cfg.groupVoltage.lsb ** 2 / 12);
  assert.ok(Math.abs(sd - expected) < 0.1 * expected, `sd ${sd} V, expected ${expected} V`);
  // Latency: a current step shows in the frames 0.25 s later.
  pack.command(
    { positive: true, negative: true, precharge: false },
    new Uint8Array(2),
    new Float64Array(1),
    0,
    0,
  );
  pack.linkVoltageV = pack.packVoltageV;
  const tStep = pack.timeS;
  let seen = Number.NaN;
  for (let k = 0; k < 20; k++) {
    pack.step(0.05, {
      currentA: -2,
      currentMinA: -10,
      currentMaxA: 10,
      voltageMinV: 0,
      voltageMaxV: Infinity,
    });
    sensors.observe(pack);
    const m = sensors.frame(pack.timeS, pack);
    if (Number.isNaN(seen) && m.packCurrentA.value < -1) seen = pack.timeS - tStep;
  }
  assert.ok(Math.abs(seen - 0.3) < 1e-9, `seen after ${seen} s`); // first step ends at 0.05 s, +0.25 s
});

test("ageing: calendar fade follows √(Arrhenius ratio) between temperatures, and cells drift apart", () => {
  const config = {
    cycleFadePerEfc: 2e-4,
    calendarFadePerYear: 0.02,
    resistanceGrowthPerFade: 2,
    activationEnergyJperMol: 30000,
    acceleration: 1,
    updateEveryS: 86400,
  };
  const fades = [T25, celsiusToKelvin(45)].map((tK) => {
    const pack = smallPack(1, 1);
    pack.cells.tCellK[0] = tK;
    const ag = new Ageing(config, pack, new Rng(2));
    ag.afterStep(pack, 30 * 86400);
    return ag.fade(0);
  });
  const arr = Math.exp((30000 / GAS_CONSTANT) * (1 / T25 - 1 / celsiusToKelvin(45)));
  assert.ok(Math.abs(fades[1] / fades[0] - Math.sqrt(arr)) < 1e-9);
  // 30 days at 25 °C, SOC 0.5: 2 %·√(30/365.25), times the cell's own rate factor (within ±50 %).
  const nominal = 0.02 * Math.sqrt(30 / 365.25);
  assert.ok(fades[0] > 0.5 * nominal && fades[0] < 1.5 * nominal);

  const pack = smallPack(4, 6);
  const ag = new Ageing(config, pack, new Rng(2));
  const spread = () => {
    const c = Array.from(pack.cells.capacityScale);
    return Math.max(...c) - Math.min(...c);
  };
  assert.equal(spread(), 0);
  ag.afterStep(pack, 180 * 86400);
  assert.ok(spread() > 1e-3, `capacity spread after 6 months ${spread()}`);
  assert.ok(pack.cells.resistanceScale.every((r) => r > 1));
});
