/**
 * Charging experiment at 0 °C on the twin (12s4p LG M50 with the default spread; cells, ambient and coolant at
 * 0 °C): plating-aware CC-CV against the fastest fixed-current CC-CV that is equally safe, i.e. whose estimated
 * anode potential also never falls below the margin (found by bisection on the current). Group states come from
 * the twin's truth (a perfect estimator); the anode potential is reported per group as the BMS estimates it and
 * per cell from each cell's own state.
 */
import {
  anodePotentialAt,
  type ChargeConfig,
  ChargeController,
  defaultChargeConfig,
  defaultPackConfig,
  GroupStates,
  groupStatesFromPack,
  Pack,
  Rng,
} from "@coxswain/core";
import { loadCellModelByName } from "@coxswain/node";

const model = loadCellModelByName("lg-m50-chen2020");
const NS = 12;
const NP = 4;
const MARGIN_V = 0.03;
const SHARE = 0.6;
const CLOSED = { positive: true, negative: true, precharge: false };

interface ChargeResult {
  profile: string;
  firstCurrentPerCellA: number;
  minutesTo80: number;
  minutesToComplete: number;
  minGroupAnodeV: number;
  minCellAnodeV: number;
}

function run(profile: string, cfg: ChargeConfig): ChargeResult {
  const t = 273.15;
  const pack = new Pack(
    model,
    defaultPackConfig(NS, NP),
    { soc: 0.1, tempK: t, ambientK: t, coolantInletK: t },
    new Rng(8),
  );
  pack.command(CLOSED, new Uint8Array(NS), new Float64Array(NS - 1), 0, 0);
  const ctl = new ChargeController(model, NS, NP, cfg);
  const s = new GroupStates(model, NS, { soc: 0.1, tempK: t });
  const r: ChargeResult = {
    profile,
    firstCurrentPerCellA: Number.NaN,
    minutesTo80: Number.NaN,
    minutesToComplete: Number.NaN,
    minGroupAnodeV: Number.POSITIVE_INFINITY,
    minCellAnodeV: Number.POSITIVE_INFINITY,
  };
  for (let time = 0; time < 8 * 3600; time++) {
    groupStatesFromPack(pack, s);
    if (Number.isNaN(r.minutesTo80) && Math.min(...s.soc) >= 0.8) r.minutesTo80 = time / 60;
    const i = ctl.update(s);
    if (Number.isNaN(r.firstCurrentPerCellA)) r.firstCurrentPerCellA = i / NP;
    if (ctl.complete) {
      r.minutesToComplete = time / 60;
      break;
    }
    pack.step(1, { currentA: i, currentMinA: 0, currentMaxA: 1e9, voltageMinV: 0, voltageMaxV: 1e9 });
    groupStatesFromPack(pack, s);
    for (let g = 0; g < NS; g++)
      r.minGroupAnodeV = Math.min(
        r.minGroupAnodeV,
        anodePotentialAt(model, s.soc[g], s.tempK[g], pack.groupVoltageV[g], SHARE),
      );
    const c = pack.cells;
    for (let k = 0; k < pack.nCells; k++)
      r.minCellAnodeV = Math.min(
        r.minCellAnodeV,
        anodePotentialAt(model, c.soc[k], c.tCellK[k], pack.cellVoltageV[k], SHARE),
      );
  }
  return r;
}

function flat(currentA: number): ChargeConfig["currentTable"] {
  return {
    soc: [0, 1],
    tempC: [0, 45],
    currentA: [
      [currentA, currentA],
      [currentA, currentA],
    ],
  };
}

export function chargeExperiment() {
  const iMax = model.limits.chargeCurrentMaxA;
  // The 0 °C floor lowered by 3 K: entropic cooling at the start would otherwise stop a charge at exactly 0 °C.
  const base = { ...defaultChargeConfig(model), tempMinK: 270.15 };
  const aware = run("plating-aware (datasheet maximum current, anode potential ≥ 30 mV)", {
    ...base,
    currentTable: flat(iMax),
    // 1 mV kept in hand for what the lumped group model cannot see (the spread inside a group).
    plating: { marginV: MARGIN_V + 0.001, anodeShare: SHARE },
  });
  // The fastest fixed current whose estimated anode potential stays above the same margin.
  let lo = 0.05;
  let hi = iMax;
  let best: ChargeResult | null = null;
  for (let k = 0; k < 9; k++) {
    const mid = 0.5 * (lo + hi);
    const r = run(`fixed ${mid.toFixed(3)} A per cell`, { ...base, currentTable: flat(mid), plating: null });
    if (r.minGroupAnodeV >= MARGIN_V) {
      lo = mid;
      best = r;
    } else hi = mid;
  }
  const unsafe = run(`fixed ${iMax} A per cell (datasheet maximum, no plating limit)`, {
    ...base,
    currentTable: flat(iMax),
    plating: null,
  });
  return {
    pack: `${NS}s${NP}p ${model.name} at 0 °C, from 10 % SOC; margin ${MARGIN_V * 1000} mV, anode share ${SHARE}`,
    runs: [aware, best, unsafe],
  };
}
