/**
 * Charging on the twin's pack (LG M50, Chen 2020 electrode curves): CC-CV never passes its setpoint and ends at
 * its cut-off; plating-aware charging at 0 °C keeps every cell's anode potential above the margin, where a fixed
 * current as high as its first step does not; the copper cut-off stops a deep discharge on the anode's rise.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { loadCellModel } from "../src/cell/params.ts";
import {
  anodePotentialAt,
  ChargeController,
  CopperCutoff,
  defaultChargeConfig,
  parseChargeConfig,
} from "../src/charging/index.ts";
import { Rng } from "../src/random.ts";
import { ValidationError } from "../src/schema.ts";
import { GroupStates } from "../src/sop/predict.ts";
import { groupStatesFromPack } from "../src/sop/truth.ts";
import { defaultPackConfig, type HostDemand, Pack } from "../src/twin/pack.ts";
import { celsiusToKelvin } from "../src/units.ts";

const model = loadCellModel(
  JSON.parse(readFileSync(new URL("../params/lg-m50-chen2020.json", import.meta.url), "utf8")),
  "lg-m50-chen2020",
);
const CLOSED = { positive: true, negative: true, precharge: false };
const NS = 2;
const NP = 2;
const MARGIN_V = 0.03;
const SHARE = 0.6;

function coldPack(tempC: number, soc: number): Pack {
  const t = celsiusToKelvin(tempC);
  const pack = new Pack(
    model,
    defaultPackConfig(NS, NP),
    { soc, tempK: t, ambientK: t, coolantInletK: t },
    new Rng(8),
  );
  pack.command(CLOSED, new Uint8Array(NS), new Float64Array(NS - 1), 0, 0);
  return pack;
}

function charge(a: number): HostDemand {
  return { currentA: a, currentMinA: 0, currentMaxA: 1e9, voltageMinV: 0, voltageMaxV: 1e9 };
}

interface ChargeRun {
  /** Lowest anode potential of any cell (its own state and voltage), and as the BMS estimates it per group. */
  minAnodeV: number;
  minGroupAnodeV: number;
  maxGroupV: number;
  firstCurrentA: number;
  to80S: number;
  completeS: number;
}

/** Charges with the controller (1 s period, truth-derived group states) until complete or maxS. */
function runCharge(pack: Pack, ctl: ChargeController, maxS: number): ChargeRun {
  const s = new GroupStates(model, NS, { soc: 0.5, tempK: pack.cells.tCellK[0] });
  const out: ChargeRun = {
    minAnodeV: Infinity,
    minGroupAnodeV: Infinity,
    maxGroupV: 0,
    firstCurrentA: Number.NaN,
    to80S: Number.NaN,
    completeS: Number.NaN,
  };
  for (let t = 0; t < maxS; t++) {
    groupStatesFromPack(pack, s);
    if (Number.isNaN(out.to80S) && Math.min(...s.soc) >= 0.8) out.to80S = t;
    const i = ctl.update(s);
    if (Number.isNaN(out.firstCurrentA)) out.firstCurrentA = i;
    if (ctl.complete) {
      out.completeS = t;
      break;
    }
    pack.step(1, charge(i));
    observe(pack, out);
    groupStatesFromPack(pack, s);
    for (let g = 0; g < NS; g++) {
      const phi = anodePotentialAt(model, s.soc[g], s.tempK[g], pack.groupVoltageV[g], SHARE);
      out.minGroupAnodeV = Math.min(out.minGroupAnodeV, phi);
    }
  }
  return out;
}

function observe(pack: Pack, out: { minAnodeV: number; maxGroupV: number }): void {
  const c = pack.cells;
  for (let i = 0; i < pack.nCells; i++) {
    const phi = anodePotentialAt(model, c.soc[i], c.tCellK[i], pack.cellVoltageV[i], SHARE);
    if (phi < out.minAnodeV) out.minAnodeV = phi;
  }
  for (let g = 0; g < NS; g++) out.maxGroupV = Math.max(out.maxGroupV, pack.groupVoltageV[g]);
}

test("CC-CV at 25 °C: never above the CV setpoint, tapers, and ends at the cut-off current", () => {
  const pack = coldPack(25, 0.6);
  const cfg = defaultChargeConfig(model);
  const ctl = new ChargeController(model, NS, NP, cfg);
  const r = runCharge(pack, ctl, 4 * 3600);
  assert.ok(Number.isFinite(r.completeS), "the charge did not complete");
  assert.ok(r.maxGroupV <= cfg.cvVoltageV + 1e-6, `group voltage reached ${r.maxGroupV} V`);
  assert.ok(r.maxGroupV >= cfg.cvVoltageV - 0.02, `never reached CV: ${r.maxGroupV} V`);
  const s = new GroupStates(model, NS, { soc: 0.5, tempK: 298 });
  groupStatesFromPack(pack, s);
  assert.ok(Math.min(...s.soc) > 0.95, `ended at SOC ${[...s.soc]}`);
});

test("the table sets the current: the cold and the full take less", () => {
  const ctl = new ChargeController(model, 1, 1, defaultChargeConfig(model));
  const s = new GroupStates(model, 1, { soc: 0.3, tempK: celsiusToKelvin(25) });
  const warm = ctl.update(s);
  s.tempK[0] = celsiusToKelvin(2);
  const cold = ctl.update(s);
  s.tempK[0] = celsiusToKelvin(25);
  s.soc[0] = 0.95;
  const full = ctl.update(s);
  assert.ok(Math.abs(warm - model.limits.chargeCurrentMaxA) < 1e-9, `${warm}`);
  assert.ok(cold < 0.5 * warm && full < 0.5 * warm, `cold ${cold} A, full ${full} A`);
  s.tempK[0] = celsiusToKelvin(-1);
  assert.equal(ctl.update(s), 0);
  assert.equal(ctl.reason, "temperature");
});

test("plating-aware charging at 0 °C keeps every cell's anode potential above the margin; a fixed current as high as its first step does not", () => {
  const plating = { marginV: MARGIN_V, anodeShare: SHARE };
  // A table that would allow far more than is safe in the cold, so the plating limit does the work.
  // The datasheet's 0 °C floor is lowered by 3 K: at an ambient of exactly 0 °C the entropic cooling of the
  // first minutes would otherwise stop the charge; the plating limit is what keeps the cold charge safe.
  const cfg = { ...defaultChargeConfig(model, plating), tempMinK: celsiusToKelvin(-3) };
  cfg.currentTable = {
    soc: [0, 1],
    tempC: [0, 45],
    currentA: [
      [model.limits.chargeCurrentMaxA, model.limits.chargeCurrentMaxA],
      [model.limits.chargeCurrentMaxA, model.limits.chargeCurrentMaxA],
    ],
  };
  const aware = runCharge(coldPack(0, 0.1), new ChargeController(model, NS, NP, cfg), 2 * 3600);
  assert.ok(
    aware.minGroupAnodeV >= MARGIN_V - 1e-6,
    `estimated anode potential fell to ${aware.minGroupAnodeV} V`,
  );
  assert.ok(aware.minGroupAnodeV <= MARGIN_V + 0.005, `never near the margin: ${aware.minGroupAnodeV} V`);
  // Cell by cell (which the BMS cannot see: spread inside a group) the potential stays within 2 mV of it.
  assert.ok(aware.minAnodeV >= MARGIN_V - 0.002, `a cell's anode potential fell to ${aware.minAnodeV} V`);
  assert.ok(Number.isFinite(aware.to80S), "did not reach 80 % in 2 h");

  const fixedCfg = { ...cfg, plating: null };
  const fixedA = aware.firstCurrentA / NP;
  fixedCfg.currentTable = {
    soc: [0, 1],
    tempC: [0, 45],
    currentA: [
      [fixedA, fixedA],
      [fixedA, fixedA],
    ],
  };
  const fixed = runCharge(coldPack(0, 0.1), new ChargeController(model, NS, NP, fixedCfg), 2 * 3600);
  assert.ok(fixed.minAnodeV < MARGIN_V - 0.005, `fixed ${fixedA} A/cell kept ${fixed.minAnodeV} V`);
});

test("the copper cut-off stops a deep discharge on the anode's rise, before the cell's curve runs out", () => {
  const pack = coldPack(25, 0.08);
  const cutoff = new CopperCutoff(model, NS);
  const s = new GroupStates(model, NS, { soc: 0.1, tempK: 298 });
  let stoppedAt = Number.NaN;
  for (let t = 0; t < 3600; t++) {
    groupStatesFromPack(pack, s);
    if (cutoff.check(s, pack.groupVoltageV)) {
      stoppedAt = Math.min(...s.soc);
      break;
    }
    // A discharge whose voltage floor was configured too low (0 V): only the cut-off can stop it.
    pack.step(1, { currentA: -5 * NP, currentMinA: -1e9, currentMaxA: 0, voltageMinV: 0, voltageMaxV: 1e9 });
  }
  assert.ok(Number.isFinite(stoppedAt), "never cut off");
  // At 1 C the anode (share 0.6 of ~0.25 V overpotential) passes 1.5 V within a few tenths of a point of 0 % SOC.
  assert.ok(stoppedAt < 0.01 && stoppedAt > -0.02, `stopped at SOC ${stoppedAt}`);
  assert.ok(cutoff.potentialV[cutoff.tripped] > 1.5 && cutoff.potentialV[cutoff.tripped] < 1.82);
});

test("charge configuration errors name the field, the value and what is allowed", () => {
  const good = {
    cvVoltageV: 4.2,
    cutoffCurrentA: 0.25,
    currentTable: {
      soc: [0, 1],
      tempC: [0, 45],
      currentA: [
        [1, 1],
        [2, 2],
      ],
    },
  };
  assert.equal(parseChargeConfig(model, good).plating, null);
  assert.throws(
    () =>
      parseChargeConfig(model, {
        ...good,
        currentTable: {
          ...good.currentTable,
          currentA: [
            [1, 1, 1],
            [2, 2, 2],
          ],
        },
      }),
    (e: unknown) =>
      e instanceof ValidationError &&
      /currentTable\.currentA\[0\]: got "3 values", expected 2 values/.test(e.message),
  );
  assert.throws(
    () => parseChargeConfig(model, { ...good, plating: { marginV: 2 } }),
    /plating\.marginV: got 2/,
  );
  assert.throws(
    () => parseChargeConfig(model, { ...good, horizonS: 0.5, periodS: 1 }),
    /horizonS: got 0\.5, expected at least periodS/,
  );
});
