/**
 * State of energy and state of health.
 *
 * SOE: the energy the cell can still deliver at present conditions — discharging at a given current from the
 * present SOC, at the present temperature, until the terminal voltage reaches the minimum voltage:
 *     E = Q·∫ V(z) dz,   V(z) = OCV(z, T) − M0 − M − I_d·ρ·(R0 + Σ R_k)(z, T)
 * (steady-state polarisation and full discharge hysteresis: the conservative end of a long discharge).
 */
import { ocvAt } from "../cell/model.ts";
import type { CellModel } from "../cell/params.ts";

export interface EnergyQuery {
  soc: number;
  tempK: number;
  /** Discharge current to assume, A (positive number; e.g. the recent average). */
  dischargeCurrentA: number;
  /** Capacity and R0 multiplier from the health estimators (defaults: the set's, 1). */
  capacityAh?: number;
  resistanceScale?: number;
}

/** Terminal voltage at SOC z while discharging steadily at current i (A, positive), V. */
function loadedVoltage(m: CellModel, z: number, tK: number, i: number, rho: number): number {
  let r = m.r0.at(z, tK, -1) * rho;
  for (const b of m.rc) r += b.r.at(z, tK, -1);
  const hy = m.hysteresis;
  const hys = hy ? hy.m0.at(z, tK) + hy.m.at(z, tK) : 0;
  return ocvAt(m, z, tK) - hys - i * r;
}

const SLICE = 0.001;

/** Remaining dischargeable energy, Wh, and the SOC at which the voltage limit ends the discharge. */
export function remainingEnergy(m: CellModel, q: EnergyQuery): { energyWh: number; endSoc: number } {
  const qAh = q.capacityAh ?? m.capacityAh;
  const rho = q.resistanceScale ?? 1;
  const i = Math.abs(q.dischargeCurrentA);
  const vMin = m.limits.voltageMinV;
  const v = (z: number) => loadedVoltage(m, z, q.tempK, i, rho);
  let energy = 0;
  let z = Math.min(1, Math.max(0, q.soc));
  let vz = v(z);
  while (z > 0 && vz > vMin) {
    const z1 = Math.max(0, z - SLICE);
    const v1 = v(z1);
    if (v1 < vMin) {
      // The limit falls inside this slice: stop where V crosses it (linear in the slice).
      const f = (vz - vMin) / (vz - v1);
      const zEnd = z - f * (z - z1);
      energy += 0.5 * (vz + vMin) * (z - zEnd);
      return { energyWh: energy * qAh, endSoc: zEnd };
    }
    energy += 0.5 * (vz + v1) * (z - z1);
    z = z1;
    vz = v1;
  }
  return { energyWh: energy * qAh, endSoc: z };
}

export interface PackEnergyQuery {
  /** Per series group: SOC and temperature (K); optionally capacity (A·h per cell) and R0 multiplier. */
  soc: ArrayLike<number>;
  tempK: ArrayLike<number>;
  capacityAh?: ArrayLike<number>;
  resistanceScale?: ArrayLike<number>;
  parallelCells: number;
  /** String discharge current to assume, A (positive). */
  dischargeCurrentA: number;
}

/**
 * Energy the series string can still deliver: it stops when its first group reaches the voltage limit, so the
 * charge it delivers is the smallest of the groups' remaining charges, and every group gives its energy over that
 * same charge (the fuller groups keep what they have left).
 */
export function packRemainingEnergy(
  m: CellModel,
  q: PackEnergyQuery,
): { energyWh: number; chargeAh: number; limitingGroup: number } {
  const ns = q.soc.length;
  const np = q.parallelCells;
  const iCell = Math.abs(q.dischargeCurrentA) / np;
  let chargeAh = Number.POSITIVE_INFINITY;
  let limitingGroup = -1;
  for (let g = 0; g < ns; g++) {
    const qAh = q.capacityAh?.[g] ?? m.capacityAh;
    const { endSoc } = remainingEnergy(m, {
      soc: q.soc[g],
      tempK: q.tempK[g],
      dischargeCurrentA: iCell,
      capacityAh: qAh,
      resistanceScale: q.resistanceScale?.[g],
    });
    const c = qAh * Math.max(0, q.soc[g] - endSoc);
    if (c < chargeAh) {
      chargeAh = c;
      limitingGroup = g;
    }
  }
  let energyWh = 0;
  for (let g = 0; g < ns; g++) {
    const qAh = q.capacityAh?.[g] ?? m.capacityAh;
    const rho = q.resistanceScale?.[g] ?? 1;
    const z0 = Math.min(1, Math.max(0, q.soc[g]));
    const z1 = z0 - chargeAh / qAh;
    const slices = Math.max(1, Math.ceil((z0 - z1) / SLICE));
    const h = (z0 - z1) / slices;
    let e = 0;
    for (let k = 0; k < slices; k++) {
      const a = z0 - k * h;
      e +=
        0.5 *
        (loadedVoltage(m, a, q.tempK[g], iCell, rho) + loadedVoltage(m, a - h, q.tempK[g], iCell, rho)) *
        h;
    }
    energyWh += e * qAh * np;
  }
  return { energyWh, chargeAh: chargeAh * np, limitingGroup };
}

export interface StateOfHealth {
  /** Capacity relative to new (the set's capacity), fraction. */
  capacity: number;
  /** R0 relative to new, fraction (1.3 = 30 % higher). */
  resistance: number;
}

export function stateOfHealth(m: CellModel, capacityAh: number, resistanceScale: number): StateOfHealth {
  return { capacity: capacityAh / m.capacityAh, resistance: resistanceScale };
}
