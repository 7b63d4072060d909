/**
 * The performance functions inside the BMS controller, on the twin: state-of-power host limits (never looser
 * than the baseline, with the binding reason), predictive cooling with the actuation delay θ, passive balancing
 * by SOC (brings a spread down, ignores a pure temperature gradient, the SOC estimate counts the bleed), the
 * charging profile, the copper cut-off and the health estimator (SOH of an aged group).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { anodePotentialAt } from "../src/charging/anode.ts";
import { packRemainingEnergy } from "../src/estimate/energy.ts";
import {
  type BmsConfig,
  type BmsConfigFile,
  type BmsState,
  celsiusToKelvin,
  compileBmsConfig,
  compileCellParams,
  defaultBmsConfigFile,
  ocvAt,
  type PackInfo,
  parseBmsConfig,
  parseCellParams,
  parseScenario,
  runBmsOnTwin,
  socAtOcv,
  type Twin,
} from "../src/index.ts";
import { testPack } from "./bms-fixtures.ts";

const model = compileCellParams(
  parseCellParams(
    JSON.parse(readFileSync(new URL("../params/lg-m50-chen2020.json", import.meta.url), "utf8")),
    "lg-m50-chen2020",
  ),
);

interface Run {
  ns: number;
  np: number;
  soc: number;
  tempC: number;
  coolantC?: number;
  phases: object[];
  stepS?: number;
  pumpDelayS?: number;
  tempSensors?: { group: number; cell: number }[];
  /** No random cell spread but this SOC spread (standard deviation). */
  uniformSocSd?: number;
  /** Group-voltage sensor offset, standard deviation, V (default: the twin's 1 mV); the gain error, relative,
   *  is a tenth of it (0 V: a perfect channel apart from noise). */
  voltageOffsetSd?: number;
}

function scenario(r: Run) {
  const stepS = r.stepS ?? 0.01;
  return parseScenario(
    {
      format: "coxswain-scenario/1",
      name: "bms-performance",
      seed: 5,
      params: "lg-m50-chen2020",
      stepS,
      recordEveryS: 60,
      sensors: {
        samplePeriodS: stepS,
        ...(r.tempSensors ? { tempSensors: r.tempSensors } : {}),
        ...(r.voltageOffsetSd !== undefined
          ? { groupVoltage: { offsetSd: r.voltageOffsetSd, gainSd: r.voltageOffsetSd / 10 } }
          : {}),
      },
      pack: {
        seriesGroups: r.ns,
        parallelCells: r.np,
        ...(r.pumpDelayS !== undefined ? { thermal: { pumpDelayS: r.pumpDelayS } } : {}),
        ...(r.uniformSocSd !== undefined
          ? { spread: { capacity: 0, resistance: 0, soc: r.uniformSocSd, leakA: 0, leakSdA: 0 } }
          : {}),
      },
      initial: { soc: r.soc, tempC: r.tempC },
      ambientC: r.tempC,
      coolantInletC: r.coolantC ?? r.tempC,
      phases: r.phases,
    },
    "bms-performance scenario",
  );
}

/** The default configuration with edits to its file form (the period follows the twin's step). */
function config(edit: (f: BmsConfigFile) => void = () => {}, basePeriodS = 0.01) {
  return (pack: PackInfo): BmsConfig => {
    const f = structuredClone(defaultBmsConfigFile(pack, model, { basePeriodS }));
    edit(f);
    return compileBmsConfig(parseBmsConfig(f), model);
  };
}

const perf = (f: BmsConfigFile) => {
  if (!f.performance) throw new Error("the default configuration has a performance section");
  return f.performance;
};

test("state of power: host limits are min(baseline, SOP), never looser, with the SOP's binding reason; the lowest group stays at the MOL", () => {
  // −10 °C from 15 % SOC, the host drawing all it is allowed: the voltage prediction binds before the baseline's
  // derating does. Cold derating and the charging profile are off so only the SOP tightens the discharge.
  const s = scenario({
    ns: 12,
    np: 4,
    soc: 0.15,
    tempC: -10,
    phases: [
      { kind: "rest", durationS: 12 },
      { kind: "current", currentA: -100, durationS: 400 },
    ],
  });
  let tasks = 0;
  let sopBound = 0;
  let minV = Number.POSITIVE_INFINITY;
  const check = (st: BmsState) => {
    const L = st.limits;
    const o = st.performance?.out;
    assert.ok(o);
    tasks++;
    assert.ok(L.dischargeCurrentMaxA <= L.baselineDischargeA, "never looser than the baseline");
    assert.ok(L.chargeCurrentMaxA <= L.baselineChargeA, "never looser than the baseline");
    if (st.performance?.ready) {
      const expected = Math.min(L.baselineDischargeA, o.sopDischargeA);
      assert.ok(Math.abs(L.dischargeCurrentMaxA - expected) <= 1e-9 * L.baselineDischargeA);
      if (o.sopDischargeA < L.baselineDischargeA * (1 - 1e-9)) {
        sopBound++;
        assert.equal(L.dischargeReason, o.sopDischargeReason);
        assert.match(L.dischargeReason, /^predicted /);
      }
    }
    if (st.contactors.mode === "closed") minV = Math.min(minV, st.cellVoltageMinV);
  };
  const r = runBmsOnTwin(s, model, {
    config: config((f) => {
      perf(f).thermal.coldDerating.enabled = false;
      perf(f).charging.enabled = false;
    }),
    stopWhen: (st) => {
      if (st.tick % st.config.timing.mediumEvery === 0) check(st);
      return false;
    },
  });
  assert.ok(tasks > 4000, `${tasks} tasks checked`);
  assert.ok(sopBound > 100, `the SOP bound in ${sopBound} tasks`);
  const mol = r.config.limits.cellVoltageLow.mol;
  // Sensor noise (0.8 mV) and offsets (1 mV) on top of the prediction's 10 mV margin.
  assert.ok(minV > mol - 0.005, `lowest group ${minV.toFixed(4)} V against the MOL ${mol} V`);
  assert.ok(r.excursion.byV < 0, "no cell past a maximum safety limit");
  assert.equal(r.firstSetS.has("cellVoltageLow.rsl"), false, "the discharge never reached the RSL");
});

test("state of power replacing the schedule: where only the baseline's derating binds, the SOP decides up to the ceiling; more charge out, inside every MSL", () => {
  // −14 °C, inside the baseline's low-temperature derating band (MOL −16 °C, 5 K band: factor 0.4 at the start),
  // the host drawing all it is allowed.
  const s = scenario({
    ns: 12,
    np: 4,
    soc: 0.6,
    tempC: -14,
    phases: [
      { kind: "rest", durationS: 12 },
      { kind: "current", currentA: -100, durationS: 300 },
    ],
  });
  const run = (replacesSchedule: boolean) => {
    let looser = 0;
    const r = runBmsOnTwin(s, model, {
      config: config((f) => {
        perf(f).sop.replacesSchedule = replacesSchedule;
        perf(f).thermal.coldDerating.enabled = false;
        perf(f).charging.enabled = false;
      }),
      stopWhen: (st) => {
        if (st.tick % st.config.timing.mediumEvery !== 0) return false;
        const L = st.limits;
        const o = st.performance?.out;
        assert.ok(o);
        assert.ok(L.dischargeCurrentMaxA <= L.dischargeCeilingA * (1 + 1e-12), "never above the ceiling");
        if (!replacesSchedule) assert.ok(L.dischargeCurrentMaxA <= L.baselineDischargeA, "min of both");
        if (L.dischargeCurrentMaxA > L.baselineDischargeA * (1 + 1e-9)) {
          looser++;
          // Looser than the schedule only by the prediction itself (or up to the ceiling).
          assert.ok(
            Math.abs(L.dischargeCurrentMaxA - Math.min(o.sopDischargeA, L.dischargeCeilingA)) <=
              1e-9 * L.dischargeCeilingA,
          );
          assert.ok(L.dischargeReason === "nominal" || /^predicted /.test(L.dischargeReason));
        }
        if (st.contactors.mode !== "closed")
          assert.equal(L.dischargeCurrentMaxA, 0, "a hard stop still binds");
        return false;
      },
    });
    // Only discharging (and the precharge's few mA·s): the throughput is the charge out.
    return { r, looser, chargeOutC: r.twin.pack.throughputAs };
  };
  const cap = run(false);
  const replace = run(true);
  assert.equal(cap.looser, 0);
  assert.ok(replace.looser > 100, `looser than the schedule in ${replace.looser} tasks`);
  assert.ok(
    replace.chargeOutC > 1.1 * cap.chargeOutC,
    `charge out ${replace.chargeOutC.toFixed(0)} C against ${cap.chargeOutC.toFixed(0)} C`,
  );
  for (const { r } of [cap, replace]) {
    assert.ok(r.excursion.byV < 0 && r.excursion.byK < 0 && r.excursion.byA < 0, r.excursion.worst);
    assert.equal(r.faultSeen, false);
  }
});

test("predictive cooling with θ = 10 s: the flow starts before the cells reach the target and the hottest cell stays below it", () => {
  // A warm pack (33 °C) discharging at its limit; the coolant pump acts 10 s after each command. The baseline's
  // own thermostat is set to the same target (35 °C, full flow at 36 °C), so it is the reactive comparison.
  const s = scenario({
    ns: 8,
    np: 2,
    soc: 0.95,
    tempC: 33,
    coolantC: 20,
    stepS: 0.1,
    pumpDelayS: 10,
    phases: [
      { kind: "rest", durationS: 12 },
      { kind: "current", currentA: -100, durationS: 600 },
    ],
  });
  const run = (predictive: boolean) => {
    let firstFlowS = Number.NaN;
    let measuredAtFirstK = Number.NaN;
    let hottestK = 0;
    const r = runBmsOnTwin(s, model, {
      periodS: 0.1,
      config: config((f) => {
        f.thermal.coolingStartC = 35;
        f.thermal.coolingFullC = 36;
        perf(f).thermal.enabled = predictive;
        perf(f).thermal.cooling.delayS = 10;
      }, 0.1),
      beforeStep: (twin, _c, st) => {
        for (const t of twin.pack.cells.tCellK) hottestK = Math.max(hottestK, t);
        if (Number.isNaN(firstFlowS) && st.commands.coolantFlow > 0) {
          firstFlowS = twin.timeS;
          measuredAtFirstK = st.tempMaxK;
        }
      },
    });
    return { r, firstFlowS, measuredAtFirstK, hottestK };
  };
  const target = celsiusToKelvin(35);
  const p = run(true);
  const reactive = run(false);
  assert.ok(p.firstFlowS > 0, "the predictive controller commands flow");
  assert.ok(p.measuredAtFirstK < target - 0.5, `flow starts at a measured ${p.measuredAtFirstK - 273.15} °C`);
  assert.ok(p.hottestK < target, `hottest cell ${(p.hottestK - 273.15).toFixed(2)} °C`);
  // The thermostat at the target reacts only once it is there, and the 10 s delay carries the cells past it.
  assert.ok(reactive.measuredAtFirstK >= target, "the reactive thermostat starts at the target");
  assert.ok(
    reactive.hottestK > target,
    `reactive: hottest cell ${(reactive.hottestK - 273.15).toFixed(2)} °C`,
  );
  assert.ok(p.firstFlowS < reactive.firstFlowS);
  // The SOE the controller reports (built a few groups per second) against the whole-pack integral of
  // estimate/energy.ts on the same group states: at most the integral (+1 % for the groups' pieces being up
  // to 30 s old), and at least 97 % of it.
  const st = p.r.state;
  const s0 = st.performance?.limiter.states;
  assert.ok(s0 && st.performance);
  const exact = packRemainingEnergy(model, {
    soc: Array.from(st.performance.soc, (z) => Math.min(1, Math.max(0, z))),
    tempK: s0.tempK,
    capacityAh: Array.from(s0.capacityScale, (x) => x * model.capacityAh),
    resistanceScale: s0.resistanceScale,
    parallelCells: 2,
    dischargeCurrentA: st.config.performance.health.energyRateC * 2 * model.capacityAh,
  }).energyWh;
  const soe = st.health.soeWh;
  assert.ok(soe <= exact * 1.01 && soe >= exact * 0.97, `SOE ${soe} Wh against ${exact} Wh`);
});

/** Capacity-weighted SOC of each group in the twin (the truth). */
function trueGroupSoc(twin: Twin): Float64Array {
  const p = twin.pack;
  const out = new Float64Array(p.ns);
  for (let g = 0; g < p.ns; g++) {
    let q = 0;
    let zq = 0;
    for (let k = 0; k < p.np; k++) {
      const i = g * p.np + k;
      q += p.cells.capacityScale[i];
      zq += p.cells.capacityScale[i] * p.cells.soc[i];
    }
    out[g] = zq / q;
  }
  return out;
}

const spreadOf = (z: ArrayLike<number>) => Math.max(...Array.from(z)) - Math.min(...Array.from(z));

test("balancing by SOC brings a 2-point spread under 0.5 points, and the SOC estimates count the bleed current", () => {
  // Six single cells with a random SOC spread (σ = 1 point), resting; the controller runs once a second. The
  // start SOC is read through the OCV, which is flat here (about 1 mV per point), so a group-voltage channel's
  // offset and gain error carry straight into the balance (the twin's default channels, 1 mV and 2·10⁻⁴, leave
  // about 1 point); this run has channels with noise only (0.8 mV, averaged over the first ten frames at rest).
  const ns = 6;
  const s = scenario({
    ns,
    np: 1,
    soc: 0.5,
    tempC: 25,
    stepS: 1,
    uniformSocSd: 0.01,
    voltageOffsetSd: 0,
    phases: [{ kind: "rest", durationS: 8 * 3600 }],
  });
  let initial = Number.NaN;
  let bled = 0;
  let lastBleedS = 0;
  const r = runBmsOnTwin(s, model, {
    periodS: 1,
    config: config(() => {}, 1),
    beforeStep: (twin, _c, st) => {
      if (Number.isNaN(initial)) initial = spreadOf(trueGroupSoc(twin));
      for (const b of st.commands.bleed) bled += b;
      if (st.commands.bleed.some((b) => b === 1)) lastBleedS = twin.timeS;
    },
    // Done once nothing has bled for ten minutes.
    stopWhen: (_st, t) => t > lastBleedS + 600,
  });
  const truth = trueGroupSoc(r.twin);
  assert.ok(initial > 0.02, `initial spread ${(initial * 100).toFixed(2)} points`);
  assert.ok(bled > 0, "bled");
  assert.ok(
    spreadOf(truth) < 0.005,
    `true spread ${(spreadOf(truth) * 100).toFixed(2)} points after ${(r.endS / 3600).toFixed(2)} h`,
  );
  // The estimates moved with the bleed: without it in the count they would still show the initial spread.
  const est = r.state.estimator.soc;
  const own = r.state.performance?.soc;
  assert.ok(own);
  assert.ok(spreadOf(est) < 0.008, `estimator spread ${(spreadOf(est) * 100).toFixed(2)} points`);
  assert.ok(spreadOf(own) < 0.005, `performance SOC spread ${(spreadOf(own) * 100).toFixed(2)} points`);
});

test("a pure temperature gradient (15…40 °C, equal SOC) makes no group bleed", () => {
  // Sensors without offsets, one temperature sensor per group: only the temperature differs between the groups.
  const ns = 6;
  const temps = Array.from({ length: ns }, (_, g) => celsiusToKelvin(15 + 5 * g));
  const s = scenario({
    ns,
    np: 1,
    soc: 0.9,
    tempC: 25,
    stepS: 1,
    uniformSocSd: 0,
    voltageOffsetSd: 0,
    tempSensors: Array.from({ length: ns }, (_, g) => ({ group: g, cell: 0 })),
    phases: [{ kind: "rest", durationS: 1800 }],
  });
  let set = false;
  let bled = 0;
  let levels: Float64Array | null = null;
  runBmsOnTwin(s, model, {
    periodS: 1,
    config: config(() => {}, 1),
    beforeStep: (twin, _c, st) => {
      if (!set) {
        const c = twin.pack.cells;
        for (let g = 0; g < ns; g++) {
          c.tCellK[g] = temps[g];
          c.tCaseK[g] = temps[g];
        }
        set = true;
      }
      for (const b of st.commands.bleed) bled += b;
      if (st.performance?.ready && !levels) {
        levels = Float64Array.from(st.performance.soc);
      }
    },
  });
  assert.ok(levels, "SOC estimated");
  // The phantom: each group's rest voltage read through the OCV at 25 °C (the entropic coefficient is largest
  // near full, hence 90 % SOC).
  const phantom = temps.map((t) => socAtOcv(model, ocvAt(model, 0.9, t), model.refTempK));
  const threshold = 0.003; // the default start threshold
  assert.ok(spreadOf(phantom) > 2 * threshold, `read at 25 °C the groups seem ${spreadOf(phantom)} apart`);
  assert.ok(spreadOf(levels) < threshold, `read at their temperatures: ${spreadOf(levels)}`);
  assert.equal(bled, 0, `bleed commands: ${bled}`);
});

test("charging profile: its table, then constant voltage at the setpoint, then complete (0 A) while the baseline would still allow current", () => {
  const s = scenario({
    ns: 4,
    np: 4,
    soc: 0.85,
    tempC: 25,
    stepS: 0.1,
    phases: [
      { kind: "rest", durationS: 12 },
      { kind: "current", currentA: 200, durationS: 3600 },
    ],
  });
  const reasons = new Set<string>();
  const profile = new Set<string>();
  let vMax = 0;
  let completeWithBaselineA = 0;
  const r = runBmsOnTwin(s, model, {
    periodS: 0.1,
    config: config(() => {}, 0.1),
    stopWhen: (st) => {
      const L = st.limits;
      assert.ok(L.chargeCurrentMaxA <= L.baselineChargeA);
      reasons.add(L.chargeReason);
      const pr = st.performance?.out.profileReason;
      if (pr) profile.add(pr);
      if (st.contactors.mode === "closed") vMax = Math.max(vMax, st.cellVoltageMaxV);
      if (L.chargeReason === "charge complete") completeWithBaselineA = L.baselineChargeA;
      return L.chargeReason === "charge complete";
    },
  });
  const cv = r.config.performance.charging.profile?.cvVoltageV ?? Number.NaN;
  // The profile went from its table to constant voltage (near the top the SOP and the baseline's voltage
  // derating, both toward the MOL just above the setpoint, often bind first), and its end binds.
  assert.ok(profile.has("charge table") && profile.has("constant voltage"), [...profile].join(", "));
  assert.ok(reasons.has("charge table") && reasons.has("charge complete"), [...reasons].join(", "));
  assert.equal(r.state.commands.limits.chargeCurrentMaxA, 0, "complete: no more charge");
  assert.ok(completeWithBaselineA > 0, "the baseline alone would still charge");
  // Measured: the setpoint plus sensor noise and offset.
  assert.ok(vMax < cv + 0.005, `highest group ${vMax} V against the CV setpoint ${cv} V`);
});

test("copper cut-off: a deep discharge stops when a group's anode potential passes the threshold, until the pack charges", () => {
  // The voltage floor set low (as the cut-off guards against) and the threshold at 1.19 V (the anode's rest
  // potential near 0 % SOC), so the cut-off, not the voltage, ends this discharge.
  const s = scenario({
    ns: 4,
    np: 4,
    soc: 0.08,
    tempC: 25,
    stepS: 0.1,
    phases: [
      { kind: "rest", durationS: 12 },
      { kind: "current", currentA: -200, durationS: 900 },
      { kind: "current", currentA: 20, durationS: 30 },
    ],
  });
  let tripAt = Number.NaN;
  let tripBaselineA = 0;
  let heldWhileDischarging = true;
  let released = false;
  runBmsOnTwin(s, model, {
    periodS: 0.1,
    config: config((f) => {
      f.limits.cellVoltageLow = { mol: 2.1, rsl: 2.0, msl: 1.9, tripMargin: 0.015, hysteresis: 0.05 };
      perf(f).thermal.coldDerating.enabled = false;
      perf(f).charging.copperCutoff.thresholdV = 1.19;
    }, 0.1),
    stopWhen: (st, t) => {
      const o = st.performance?.out;
      assert.ok(o);
      if (Number.isNaN(tripAt) && o.copperTrippedGroup >= 0) {
        tripAt = t;
        tripBaselineA = st.limits.baselineDischargeA;
        assert.equal(st.limits.dischargeCurrentMaxA, 0);
        assert.equal(st.limits.dischargeReason, "copper dissolution");
        const phi = st.performance?.copper?.potentialV[o.copperTrippedGroup] ?? 0;
        assert.ok(phi > 1.19, `anode at ${phi} V`);
      }
      if (!Number.isNaN(tripAt) && t < 12 + 900 && st.limits.dischargeCurrentMaxA > 0)
        heldWhileDischarging = false;
      if (!Number.isNaN(tripAt) && t > 12 + 910 && o.copperTrippedGroup < 0) released = true;
      return false;
    },
  });
  assert.ok(tripAt > 12, `tripped at ${tripAt} s`);
  assert.ok(tripBaselineA > 0, "the baseline alone would have gone on");
  assert.ok(heldWhileDischarging, "latched while the pack rests after the trip");
  assert.ok(released, "released once the pack charges");
});

test("the performance section is validated: field, value and allowed range; a function needs the cell model (and an anode curve where it reads one)", () => {
  const pack = testPack(4, 2, model);
  const file = defaultBmsConfigFile(pack, model);
  const bad = structuredClone(file);
  perf(bad).sop.horizonS = 0;
  perf(bad).balancing.passive.maxSimultaneous = 1.5;
  perf(bad).thermal.cooling.delayS = -1;
  (perf(bad).sop as Record<string, unknown>).replacesSchedule = "yes";
  assert.throws(
    () => parseBmsConfig(bad),
    (e: Error) =>
      /performance\.sop\.horizonS[^\n]*0/.test(e.message) &&
      /performance\.sop\.replacesSchedule[^\n]*yes/.test(e.message) &&
      /performance\.balancing\.passive\.maxSimultaneous[^\n]*1\.5/.test(e.message) &&
      /performance\.thermal\.cooling\.delayS[^\n]*-1/.test(e.message),
  );
  assert.throws(() => compileBmsConfig(file), /performance\.sop\.enabled[^\n]*cell model/);
  // A cell without an anode curve: the default leaves plating and the copper cut-off off; switched on, refused.
  const plain = { ...model, anode: null };
  const noAnode = defaultBmsConfigFile(pack, plain);
  assert.equal(perf(noAnode).charging.copperCutoff.enabled, false);
  assert.equal(perf(noAnode).charging.profile.plating, undefined);
  perf(noAnode).charging.copperCutoff.enabled = true;
  assert.throws(
    () => compileBmsConfig(noAnode, plain),
    /performance\.charging\.copperCutoff\.enabled[^\n]*anode/,
  );
  // Off, the controller is the baseline: no performance state at all.
  const off = compileBmsConfig(defaultBmsConfigFile(pack, model, { performance: false }));
  assert.equal(off.performance.sop.enabled, false);
  // replacesSchedule may be left out of a file written before it existed: min(baseline, SOP).
  const older = structuredClone(file);
  delete (perf(older).sop as Record<string, unknown>).replacesSchedule;
  assert.equal(compileBmsConfig(parseBmsConfig(older), model).performance.sop.replacesSchedule, false);
});

test("plating-aware charging at 1 °C from 60 %: the anode-potential limit binds and no cell's true anode potential reaches 0 V", () => {
  // A profile that would allow the datasheet maximum at any temperature, and the baseline's cold charge limits
  // moved out of the way, so that only the plating limit stands between the charger and lithium plating.
  const s = scenario({
    ns: 4,
    np: 2,
    soc: 0.6,
    tempC: 1,
    stepS: 0.1,
    phases: [
      { kind: "rest", durationS: 12 },
      { kind: "current", currentA: 100, durationS: 600 },
    ],
  });
  let platingTasks = 0;
  let lowestV = Number.POSITIVE_INFINITY;
  const share = 0.6;
  runBmsOnTwin(s, model, {
    periodS: 0.1,
    config: config((f) => {
      f.limits.chargeTempLow = { mol: -6, rsl: -8, msl: -10, tripMargin: 1, hysteresis: 2 };
      const t = perf(f).charging.profile.currentTable;
      t.currentA = t.currentA.map((row) => row.map(() => model.limits.chargeCurrentMaxA));
    }, 0.1),
    beforeStep: (twin, _c, st) => {
      if (st.performance?.out.profileReason === "plating margin") platingTasks++;
      const c = twin.pack.cells;
      if (twin.pack.stringCurrentA > 0)
        for (let k = 0; k < c.soc.length; k++)
          lowestV = Math.min(
            lowestV,
            anodePotentialAt(model, c.soc[k], c.tCellK[k], twin.pack.cellVoltageV[k], share),
          );
    },
  });
  assert.ok(platingTasks > 1000, `the plating limit set the profile in ${platingTasks} steps`);
  // The margin is 30 mV; the cells, each at its own state inside its group, keep at least half of it.
  assert.ok(lowestV > 0.015, `lowest true anode potential ${lowestV * 1000} mV`);
});
