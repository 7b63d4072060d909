/** Synthetic measured data from the cell model with known, seeded sensor noise (truth for estimator tests). */
import { CellArray } from "../src/cell/model.ts";
import type { CellModel } from "../src/cell/params.ts";
import { Rng } from "../src/random.ts";

export interface SyntheticRun {
  timeS: Float64Array;
  currentA: Float64Array;
  voltageV: Float64Array;
  tempK: Float64Array;
  trueSoc: Float64Array;
}

export interface SyntheticOptions {
  seed: number;
  seconds: number;
  initialSoc: number;
  tempK?: number;
  voltageNoiseV?: number;
  currentNoiseA?: number;
  currentOffsetA?: number;
  /** Rests of this length every `restEveryS` seconds (none by default). */
  restS?: number;
  restEveryS?: number;
}

/**
 * A drive-cycle-like random current (new level every 1–30 s, mostly discharge, some regen), kept inside
 * 15…95 % SOC, sampled at 1 s; the truth comes from CellArray, the readings get white noise (and an offset).
 */
export function syntheticRun(m: CellModel, o: SyntheticOptions): SyntheticRun {
  const rng = new Rng(o.seed);
  const n = o.seconds + 1;
  const tempK = o.tempK ?? 298.15;
  const cell = new CellArray(m, 1, { soc: o.initialSoc, tempK });
  const r: SyntheticRun = {
    timeS: new Float64Array(n),
    currentA: new Float64Array(n),
    voltageV: new Float64Array(n),
    tempK: new Float64Array(n).fill(tempK),
    trueSoc: new Float64Array(n),
  };
  const q = m.capacityAh;
  let level = 0;
  let hold = 0;
  for (let k = 0; k < n; k++) {
    r.timeS[k] = k;
    if (hold <= 0) {
      level = rng.uniform() < 0.75 ? -rng.range(0, 3 * q) : rng.range(0, 1 * q);
      hold = 1 + rng.int(30);
    }
    hold--;
    const z = cell.soc[0];
    if (z < 0.15) level = Math.abs(level);
    if (z > 0.95) level = -Math.abs(level);
    const resting = o.restS !== undefined && o.restEveryS !== undefined && k % o.restEveryS < o.restS;
    const i = k === 0 || resting ? 0 : level;
    r.voltageV[k] = cell.step(0, i, k === 0 ? 0 : 1) + rng.normal(0, o.voltageNoiseV ?? 0);
    r.currentA[k] = i + rng.normal(0, o.currentNoiseA ?? 0) + (o.currentOffsetA ?? 0);
    r.trueSoc[k] = cell.soc[0];
  }
  return r;
}
