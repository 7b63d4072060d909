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

/** Remaining dischargeable energy, Wh, and the SOC at which the voltage limit ends the discharge. */
export function remainingEnergy(m: CellModel, q: EnergyQuery): { energyWh: number; endSoc: number } {
  const qAh = q.capacityAh ?? m.capacityAh;
  const rho = q.resistanceScale ?? 1;
  const i = Math.abs(q.dischargeCurrentA);
  const vMin = m.limits.voltageMinV;
  const v = (z: number): number => {
    let r = m.r0.at(z, q.tempK, -1) * rho;
    for (const b of m.rc) r += b.r.at(z, q.tempK, -1);
    const hy = m.hysteresis;
    const hys = hy ? hy.m0.at(z, q.tempK) + hy.m.at(z, q.tempK) : 0;
    return ocvAt(m, z, q.tempK) - hys - i * r;
  };
  const dz = 0.001;
  let energy = 0;
  let z = Math.min(1, Math.max(0, q.soc));
  let vz = v(z);
  while (z > 0 && vz > vMin) {
    const z1 = Math.max(0, z - dz);
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

export interface StateOfHealth {
  /** Capacity relative to new (the set's capacity), fraction. */
  capacity: number;
  /** R0 relative to new, fraction (1.3 = 30 % higher). */
  resistance: number;
}

export function stateOfHealth(m: CellModel, capacityAh: number, resistanceScale: number): StateOfHealth {
  return { capacity: capacityAh / m.capacityAh, resistance: resistanceScale };
}
