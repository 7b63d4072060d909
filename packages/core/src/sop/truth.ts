/**
 * Group states as a perfect estimator would report them, read from the twin's truth: for experiments that
 * isolate the prediction from estimation error, and for the twin's own scoring. Per group: capacity-weighted
 * SOC, mean RC voltages and hysteresis, the hottest core and case, capacity scale the mean, and a resistance
 * scale that folds the interconnect resistances into the group's parallel resistance (the BMS sees the busbar
 * voltage).
 */
import type { Pack } from "../twin/pack.ts";
import type { GroupStates } from "./predict.ts";

export function groupStatesFromPack(pack: Pack, out: GroupStates): GroupStates {
  const c = pack.cells;
  const m = c.model;
  const np = pack.np;
  for (let g = 0; g < pack.ns; g++) {
    let qSum = 0;
    let zq = 0;
    let h = 0;
    let tCore = Number.NEGATIVE_INFINITY;
    let tCase = Number.NEGATIVE_INFINITY;
    for (let p = 0; p < np; p++) {
      const i = g * np + p;
      qSum += c.capacityScale[i];
      zq += c.capacityScale[i] * c.soc[i];
      h += c.h[i];
      tCore = Math.max(tCore, c.tCellK[i]);
      tCase = Math.max(tCase, c.tCaseK[i]);
    }
    const z = zq / qSum;
    out.soc[g] = z;
    out.h[g] = h / np;
    out.tempK[g] = tCore;
    out.caseTempK[g] = tCase;
    out.capacityScale[g] = qSum / np;
    for (let k = 0; k < c.nRc; k++) {
      let v = 0;
      for (let p = 0; p < np; p++) v += c.vrc[k][g * np + p];
      out.vrc[k][g] = v / np;
    }
    // Parallel resistance of the branches (cell R0 scaled, plus interconnect), relative to Np nominal cells.
    const r0 = m.r0.at(z, tCore, -1);
    let conductance = 0;
    for (let p = 0; p < np; p++) {
      const i = g * np + p;
      conductance += 1 / (r0 * c.resistanceScale[i] + pack.interconnectOhm[i]);
    }
    out.resistanceScale[g] = np / (conductance * r0);
  }
  return out;
}
