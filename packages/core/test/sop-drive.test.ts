/**
 * Predictive limits against the baseline derating on the twin: a small pack of LG M50 cells at −10 °C driven
 * from a low SOC by a profile that asks for more power than the cells may give. The same BMS controller runs
 * both; the predictive run has its host limits replaced by the 2 s state of power. It must deliver more energy
 * through the terminals while no cell passes a maximum safety limit (MSL) of the configuration: if the
 * predictive limits were the baseline's, the energies would be equal and the test fails. The profile (8 minutes)
 * ends before either run reaches the empty end, so the comparison is of energy over the same schedule.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { defaultBmsConfig } from "../src/bms/config.ts";
import { type BmsState, createBmsController } from "../src/bms/controller.ts";
import { loadCellModel } from "../src/cell/params.ts";
import { withPredictiveLimits } from "../src/sop/controller.ts";
import { type Controller, idleCommands, type Measurements, type PackInfo } from "../src/twin/interfaces.ts";
import { Twin } from "../src/twin/runner.ts";
import { parseScenario } from "../src/twin/scenario.ts";
import { celsiusToKelvin } from "../src/units.ts";

const model = loadCellModel(
  JSON.parse(readFileSync(new URL("../params/lg-m50-chen2020.json", import.meta.url), "utf8")),
  "lg-m50-chen2020",
);
const NS = 4;
const NP = 3;
// The controller-core baseline: the controller's own performance functions off.
const config = (pack: PackInfo) => defaultBmsConfig(pack, model, { performance: false });
const baseline = () => createBmsController({ config, clock: () => 0 });

/** Pulses of twice what the cells may give (≈ 2 × 3.3 V × 7.3 A per cell), with short easier stretches. */
function scenario() {
  const cellW = 3.3 * model.limits.dischargeCurrentMaxA * NS * NP;
  return parseScenario(
    {
      format: "coxswain-scenario/1",
      name: "sop-drive",
      seed: 7,
      params: "lg-m50-chen2020",
      stepS: 0.01,
      recordEveryS: 60,
      sensors: { samplePeriodS: 0.01 },
      pack: { seriesGroups: NS, parallelCells: NP },
      initial: { soc: 0.12, tempC: -10 },
      ambientC: -10,
      phases: [
        {
          kind: "profile",
          timeS: [0, 20, 30, 40],
          powers: [-2 * cellW, -0.5 * cellW, -2 * cellW, -2 * cellW],
          repeat: 12,
        },
      ],
    },
    "sop-drive test scenario",
  );
}

interface Outcome {
  dischargedJ: number;
  minCellV: number;
  maxCellTempK: number;
  maxPackDischargeA: number;
  alarms: string[];
  limits: ReturnType<typeof config>["limits"];
}

function drive(controller: Controller<BmsState>): Outcome {
  const twin = new Twin(scenario(), model, { speedSchedules: {} }, controller as Controller<unknown>);
  const p = twin.pack;
  let minV = Number.POSITIVE_INFINITY;
  let maxT = Number.NEGATIVE_INFINITY;
  let maxA = 0;
  while (!twin.done) {
    twin.step();
    for (let i = 0; i < p.nCells; i++) {
      minV = Math.min(minV, p.cellVoltageV[i]);
      maxT = Math.max(maxT, p.cells.tCellK[i]);
    }
    maxA = Math.max(maxA, -p.stringCurrentA);
  }
  return {
    dischargedJ: -p.terminalJ,
    minCellV: minV,
    maxCellTempK: maxT,
    maxPackDischargeA: maxA,
    alarms: twin.alarms().map((a) => a.alarm),
    limits: config(twin.info).limits,
  };
}

test("predictive limits deliver more energy than the baseline derating in the cold, inside every MSL", () => {
  const base = drive(baseline());
  const pred = drive(
    withPredictiveLimits(baseline(), {
      model,
      config,
      limiter: { hostHorizonIndex: 0, solver: { voltageMarginV: 0.01 } },
    }),
  );
  const L = base.limits;
  for (const [name, r] of [
    ["baseline", base],
    ["predictive", pred],
  ] as const) {
    assert.ok(r.minCellV > L.cellVoltageLow.msl, `${name}: lowest cell ${r.minCellV} V`);
    assert.ok(r.maxCellTempK < L.dischargeTempHigh.msl, `${name}: hottest cell ${r.maxCellTempK} K`);
    assert.ok(r.maxPackDischargeA < L.dischargeCurrent.msl, `${name}: ${r.maxPackDischargeA} A`);
    assert.ok(!r.alarms.some((a) => a.endsWith(".msl")), `${name}: ${r.alarms.join(", ")}`);
  }
  // The predictive run also stays clear of the RSL alarms that would stop the discharge.
  assert.ok(!pred.alarms.some((a) => a.endsWith(".rsl") && a.startsWith("cellVoltage")), pred.alarms.join());
  // Over the same 8 minutes (the pack is not yet empty) the predictive run gives more: about 2 % here, from the
  // full maximum operating current and the voltage band below the MOL. Equal limits would give equal energy.
  const gain = pred.dischargedJ / base.dischargedJ - 1;
  assert.ok(gain > 0.01, `energy: predictive ${pred.dischargedJ} J, baseline ${base.dischargedJ} J`);
});

test("the wrapper keeps the controller's hard stops and replaces its derating by the state of power", () => {
  const pack = new Twin(scenario(), model, { speedSchedules: {} }).info;
  const cfg = config(pack);
  const frameAt = (timeS: number): Measurements => {
    const bank = (n: number, v: number) => ({
      value: new Float64Array(n).fill(v),
      valid: new Uint8Array(n).fill(1),
      ageS: new Float64Array(n),
    });
    const ok = (value: number) => ({ value, valid: true, ageS: 0 });
    return {
      timeS,
      groupVoltageV: bank(NS, 3.6),
      temperatureK: bank(pack.tempSensors.length, celsiusToKelvin(25)),
      packCurrentA: ok(0),
      packVoltageV: ok(NS * 3.6),
      linkVoltageV: ok(NS * 3.6),
      insulationOhm: ok(5e6),
      coolantInletK: ok(celsiusToKelvin(25)),
      contactors: { positive: true, negative: true, precharge: false },
      commsOk: true,
    };
  };
  // An inner controller that derates discharge to 1 A ("temperature high") and stops charge ("RSL alarm").
  const inner: Controller<BmsState> = {
    name: "stub",
    periodS: cfg.timing.basePeriodS,
    init: () => ({ limits: { dischargeReason: "temperature high", chargeReason: "RSL alarm" } }) as BmsState,
    step: (state) => ({
      state,
      commands: {
        ...idleCommands(pack),
        limits: {
          chargeCurrentMaxA: 0,
          dischargeCurrentMaxA: 1,
          chargeVoltageMaxV: 0,
          dischargeVoltageMinV: 0,
        },
      },
      status: { mode: "drive", alarms: [] },
    }),
  };
  const wrapped = withPredictiveLimits(inner, { model, config });
  let state = wrapped.init(pack);
  let out = wrapped.step(state, frameAt(0), 0);
  state = out.state;
  out = wrapped.step(state, frameAt(0.01), 0.01);
  const L = out.commands.limits;
  assert.equal(L.chargeCurrentMaxA, 0, "an RSL alarm keeps charging stopped");
  // At 3.6 V, 25 °C, a fresh pack the SOP allows the full maximum operating current for 10 s.
  assert.ok(
    Math.abs(L.dischargeCurrentMaxA - cfg.limits.dischargeCurrent.mol) < 1e-9,
    `discharge limit ${L.dischargeCurrentMaxA} A, expected the MOL ${cfg.limits.dischargeCurrent.mol} A`,
  );
  // The pack voltage floor lets the lowest group fall to the SOP window's minimum (no margin given here).
  assert.ok(
    Math.abs(L.dischargeVoltageMinV - NS * cfg.limits.cellVoltageLow.rsl) < 1e-9,
    `${L.dischargeVoltageMinV}`,
  );
});
