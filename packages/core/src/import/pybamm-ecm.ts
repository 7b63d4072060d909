/**
 * Importer for PyBaMM's equivalent-circuit (Thevenin) lookup tables: OCV(SOC) (1-D), dU/dT over (OCV, T) (2-D)
 * and R0 / R_k / C_k over (T, I, SOC) (3-D), as in PyBaMM's `ecm_example_*.csv`.
 *
 * Conversions, each at this edge only:
 *  - PyBaMM's current is positive on discharge; coxswain's on charge. A PyBaMM table entry at current I belongs
 *    to coxswain's charge branch when I < 0 and to the discharge branch when I > 0.
 *  - coxswain's tables have no current-magnitude axis, so the current axis is collapsed per direction: each
 *    branch takes the table at one representative current magnitude (default 1 C), linearly interpolated along
 *    PyBaMM's current axis. Where both branches come out equal the set keeps one table.
 *  - dU/dT over (OCV, T) becomes dU/dT over SOC at the reference temperature, through the OCV curve.
 *  - The Arrhenius activation energy (used only outside the tables' temperature range) is fitted to R0's
 *    temperature dependence: least squares of ln R0 against 1/T.
 */

import type { CellParamsFile } from "../cell/params.ts";
import { parseCellParams } from "../cell/params.ts";
import { parseCsv } from "../io/csv.ts";
import { celsiusToKelvin, fromChargePositive, GAS_CONSTANT } from "../units.ts";
import { axisValue, bracket, columnIndex, type Grid, parseGridCsv, sig } from "./common.ts";

/** CSV texts of a PyBaMM ECM table set. `rc[k]` is the k-th RC pair (PyBaMM's R{k+1} / C{k+1}). */
export interface PybammEcmTables {
  ocv: string;
  r0: string;
  rc: { r: string; c: string }[];
  dUdT?: string;
}

export interface PybammEcmOptions {
  name: string;
  description?: string;
  /** Cell capacity, A·h (PyBaMM's "Cell capacity [A.h]"; the CSVs do not carry it). */
  capacityAh: number;
  voltageMinV: number;
  voltageMaxV: number;
  referenceTempC?: number;
  /** Current magnitude at which the current axis is read, A (default: 1 C). */
  representativeCurrentA?: number;
  /** PyBaMM's lumped thermal model: cell and jig thermal masses, cell–jig and jig–air conductances. */
  thermal?: {
    cellHeatCapacityJperK: number;
    caseHeatCapacityJperK: number;
    cellToCaseWperK: number;
    caseToAmbientWperK: number;
  };
  /** Free-form provenance merged into the set's `provenance`. */
  provenance?: Record<string, unknown>;
}

/** PyBaMM's ECM example set's thermal values (ecm/example_set.py). */
export const PYBAMM_ECM_EXAMPLE_THERMAL = {
  cellHeatCapacityJperK: 1000,
  caseHeatCapacityJperK: 500,
  cellToCaseWperK: 10,
  caseToAmbientWperK: 10,
};

const TEMP = ["temperature"];
const CURRENT = ["current"];
const SOC = ["soc"];

interface Collapsed {
  tempC: number[];
  soc: number[];
  charge: number[][];
  discharge: number[][];
}

/** Reads a (T, I, SOC) table and collapses its current axis to one value per direction. */
function collapseCurrent(grid: Grid, currentA: number): Collapsed {
  const [temps, currents, socs] = grid.axes;
  const nI = currents.length;
  const nS = socs.length;
  const at = (pybammCurrent: number) => {
    const [i, w] = bracket(currents, pybammCurrent);
    const i1 = Math.min(i + 1, nI - 1);
    return temps.map((_, t) =>
      socs.map((_, s) => {
        const v0 = grid.values[(t * nI + i) * nS + s];
        const v1 = grid.values[(t * nI + i1) * nS + s];
        return (1 - w) * v0 + w * v1;
      }),
    );
  };
  return {
    tempC: temps,
    soc: socs,
    // coxswain charge (+I) is PyBaMM's negative current, and discharge the positive one.
    charge: at(fromChargePositive(+currentA, "discharge-positive")),
    discharge: at(fromChargePositive(-currentA, "discharge-positive")),
  };
}

function tableSpec(soc: number[], tempC: number[], rows: number[][]) {
  return { soc, tempC, values: rows.map((r) => r.map((v) => sig(v))) };
}

function dirSpec(c: Collapsed) {
  const ch = tableSpec(c.soc, c.tempC, c.charge);
  const dis = tableSpec(c.soc, c.tempC, c.discharge);
  const same = ch.values.every((r, i) => r.every((v, j) => v === dis.values[i][j]));
  return same ? dis : { charge: ch, discharge: dis };
}

/** Least-squares activation energy of ln R against 1/T (mean of ln R over SOC per temperature), J/mol. */
export function fitArrhenius(tempC: number[], rows: number[][]): number {
  if (tempC.length < 2) return 0;
  const xs = tempC.map((t) => 1 / celsiusToKelvin(t));
  const ys = rows.map((r) => r.reduce((s, v) => s + Math.log(v), 0) / r.length);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  const ea = (sxy / sxx) * GAS_CONSTANT;
  return ea > 0 ? sig(ea, 4) : 0;
}

/** OCV(SOC) from the 1-D table, keeping the points with SOC in [0, 1]. */
function readOcv(text: string): { soc: number[]; voltageV: number[] } {
  const t = parseCsv(text);
  const si = columnIndex(t, SOC, "SOC", "OCV table");
  const vi = columnIndex(t, ["ocv", "voltage"], "OCV", "OCV table");
  const soc: number[] = [];
  const voltageV: number[] = [];
  for (let r = 0; r < t.rows; r++) {
    const z = axisValue(t.data[si][r]);
    if (z < 0 || z > 1) continue;
    soc.push(z);
    voltageV.push(sig(t.data[vi][r]));
  }
  if (soc.length < 2) throw new Error(`OCV table: fewer than two points with SOC in [0, 1]`);
  return { soc, voltageV };
}

/** dU/dT over SOC at tempC, from a (OCV, T) table read through the OCV curve. */
function dUdTOverSoc(text: string, ocv: { soc: number[]; voltageV: number[] }, tempC: number) {
  const grid = parseGridCsv(text, "dU/dT table", [["ocv"], TEMP], 2);
  const [volts, temps] = grid.axes;
  const nT = temps.length;
  const [j, wt] = bracket(temps, tempC);
  const j1 = Math.min(j + 1, nT - 1);
  const values = ocv.voltageV.map((u) => {
    const [i, wv] = bracket(volts, u);
    const i1 = Math.min(i + 1, volts.length - 1);
    const g = (a: number, b: number) => grid.values[a * nT + b];
    const lo = (1 - wt) * g(i, j) + wt * g(i, j1);
    const hi = (1 - wt) * g(i1, j) + wt * g(i1, j1);
    return sig((1 - wv) * lo + wv * hi);
  });
  return { soc: ocv.soc, values };
}

/** Builds a validated coxswain parameter set from PyBaMM ECM tables. */
export function importPybammEcm(tables: PybammEcmTables, o: PybammEcmOptions): CellParamsFile {
  const refC = o.referenceTempC ?? 25;
  const iRep = o.representativeCurrentA ?? o.capacityAh;
  if (!(iRep > 0)) throw new Error(`representative current must be > 0 A, got ${iRep}`);
  const grid3 = (text: string, what: string) => parseGridCsv(text, what, [TEMP, CURRENT, SOC], 3);
  const r0Grid = grid3(tables.r0, "R0 table");
  const r0 = collapseCurrent(r0Grid, iRep);
  const rc = tables.rc.map((p, k) => ({
    r: collapseCurrent(grid3(p.r, `R${k + 1} table`), iRep),
    c: collapseCurrent(grid3(p.c, `C${k + 1} table`), iRep),
  }));
  const ocv = readOcv(tables.ocv);
  const currents = r0Grid.axes[1];
  const temps = r0Grid.axes[0];
  const maxCharge = -Math.min(0, ...currents);
  const maxDischarge = Math.max(0, ...currents);
  const file = {
    format: "coxswain-cell/1",
    name: o.name,
    description: o.description ?? `imported from PyBaMM ECM tables`,
    provenance: {
      importer: "coxswain import pybamm-ecm",
      currentSign:
        "PyBaMM tables are discharge-positive: entries at negative PyBaMM current became the charge branch, positive the discharge branch",
      currentAxis: `collapsed per direction at |I| = ${iRep} A (linear interpolation along PyBaMM's current axis, ${Math.min(...currents)}…${Math.max(...currents)} A)`,
      dUdT: tables.dUdT
        ? `dU/dT over (OCV, T) read at ${refC} °C through the OCV curve; its temperature dependence is dropped. PyBaMM's Thevenin model uses dU/dT for the reversible heat only; coxswain also shifts the OCV by (T − T_ref)·dU/dT`
        : "no dU/dT table: 0",
      capacitance: "C_k per pair from the discharge branch (a coxswain RC pair has one capacitance table)",
      arrhenius:
        "activation energy fitted to ln R0 against 1/T over the table's temperatures (used outside them)",
      limits: `current limits are the table's current range (charge ${maxCharge} A, discharge ${maxDischarge} A); temperature limits its temperature range, no charging below 0 °C (assumed)`,
      ...o.provenance,
    },
    capacityAh: o.capacityAh,
    referenceTempC: refC,
    coulombicEfficiency: 1,
    ocv,
    ...(tables.dUdT ? { dUdT_VperK: dUdTOverSoc(tables.dUdT, ocv, refC) } : {}),
    r0Ohm: dirSpec(r0),
    rc: rc.map((p) => ({ rOhm: dirSpec(p.r), cF: tableSpec(p.c.soc, p.c.tempC, p.c.discharge) })),
    arrheniusEaJperMol: fitArrhenius(r0.tempC, r0.discharge),
    thermal: o.thermal ?? PYBAMM_ECM_EXAMPLE_THERMAL,
    limits: {
      voltageMinV: o.voltageMinV,
      voltageMaxV: o.voltageMaxV,
      chargeCurrentMaxA: maxCharge,
      dischargeCurrentMaxA: maxDischarge,
      chargeTempMinC: Math.max(0, temps[0]),
      chargeTempMaxC: temps[temps.length - 1],
      dischargeTempMinC: temps[0],
      dischargeTempMaxC: temps[temps.length - 1],
    },
  };
  return parseCellParams(file, `parameter set imported from PyBaMM ECM tables`);
}
