/**
 * Importer for the LG M50 (21700) electrode data of Chen et al. 2020 (J. Electrochem. Soc. 167 080534) as shipped
 * with PyBaMM: the graphite and NMC811 half-cell OCP curves, and a full-cell OCV(SOC) table derived from them whose
 * header gives the stoichiometry window (x0, x100 of the negative electrode, y0, y100 of the positive).
 *
 * These data carry no resistances. The set borrows them from another parameter set (the "donor", e.g. PyBaMM's
 * ECM example) scaled by capacity, R × Q_donor/Q and C × Q/Q_donor (same current density, same time constants),
 * and says plainly in its provenance that they are provisional.
 */

import type { CellParamsFile, DirTableSpec, TableSpec } from "../cell/params.ts";
import { parseCellParams } from "../cell/params.ts";
import { parseCsv } from "../io/csv.ts";
import { axisValue, columnIndex, sig } from "./common.ts";
import { compileExpression } from "./expr.ts";

export interface Chen2020Files {
  /** `lgm50_fullcell_ocv_derived_from_chen2020_fits.csv` */
  fullCellOcv: string;
  /** `graphite_LGM50_ocp_Chen2020.csv` (columns sto, ocp) */
  anodeOcp: string;
  /** `nmc_LGM50_ocp_Chen2020.csv` (columns sto, ocp) */
  cathodeOcp: string;
}

export interface Chen2020Options {
  name: string;
  /** Capacity, A·h (default 5: the LG M50's typical capacity; its datasheet minimum is 4.85). */
  capacityAh?: number;
  /** Parameter set whose R0, RC pairs and activation energy are borrowed, scaled to this capacity. */
  resistanceDonor: CellParamsFile;
  /** Name of the donor, for the provenance. */
  donorName: string;
}

/**
 * LG INR21700-M50 datasheet values (as recalled from the public datasheet, rev. 2016): 4.20 V charge, 2.50 V
 * discharge cut-off, max charge 0.7 C (3.395 A), max continuous discharge 1.5 C (7.275 A), charge 0…45 °C,
 * discharge −20…60 °C, nominal 3.63 V, mass ≤ 69.25 g.
 */
export const LG_M50_DATASHEET = {
  voltageMinV: 2.5,
  voltageMaxV: 4.2,
  chargeCurrentMaxA: 3.395,
  dischargeCurrentMaxA: 7.275,
  chargeTempMinC: 0,
  chargeTempMaxC: 45,
  dischargeTempMinC: -20,
  dischargeTempMaxC: 60,
  nominalVoltageV: 3.63,
  massKg: 0.069,
};

/**
 * Lumped thermal model of a 21700 cell: 69 g × ≈1000 J/(kg·K) ≈ 69 J/K, split into the jelly roll (64 J/K) and the
 * steel can (≈ 10 g × 500 J/(kg·K) = 5 J/K); core-to-can 0.5 W/K (about 2 K/W radial resistance across a wound
 * 21700 jelly roll, radial conductivity ≈ 0.3 W/(m·K)); can-to-ambient 0.053 W/K (10 W/(m²·K) natural convection
 * over the 0.0053 m² surface). A pack's cooling replaces the last one.
 */
export const CELL_21700_THERMAL = {
  cellHeatCapacityJperK: 64,
  caseHeatCapacityJperK: 5,
  cellToCaseWperK: 0.5,
  caseToAmbientWperK: 0.053,
};

/**
 * Entropic coefficients of the LG M50(T) electrodes, V/K over stoichiometry x: the fits of O'Regan, Brosa Planella,
 * Widanage and Kendrick, "Thermal-electrochemical parameters of a high energy lithium-ion cylindrical battery",
 * Electrochim. Acta 425 (2022) 140700 (fits in mV/K; coefficients as published in PyBaMM's ORegan2022 set).
 */
export const OREGAN_2022_ENTROPIC = {
  graphite: "(-0.1112 * x + 0.02914 + 0.3561 * exp(-((x - 0.08309) ** 2) / 0.004616)) / 1000",
  nmc811:
    "(0.04006 * exp(-((x - 0.2828) ** 2) / 0.0009855) - 0.06656 * exp(-((x - 0.8032) ** 2) / 0.02179)) / 1000",
};

/** Reads a two-column `sto,ocp` curve (comment lines allowed), checking the stoichiometry rises. */
export function readOcpCurve(text: string, what: string): { sto: number[]; voltageV: number[] } {
  const t = parseCsv(text);
  if (t.columns.length < 2)
    throw new Error(`${what}: expected two columns (sto, ocp), found ${t.columns.length}`);
  const sto = Array.from(t.data[0], axisValue);
  const voltageV = Array.from(t.data[1], (v) => sig(v));
  for (let i = 1; i < sto.length; i++)
    if (!(sto[i] > sto[i - 1]))
      throw new Error(
        `${what}: stoichiometry must rise row by row; row ${i + 1} has ${sto[i]} after ${sto[i - 1]}`,
      );
  return { sto, voltageV };
}

/** The stoichiometry window written in the derived full-cell OCV file's header. */
export function readStoichiometryWindow(text: string): {
  x0: number;
  x100: number;
  y0: number;
  y100: number;
} {
  const get = (key: string): number => {
    const m = new RegExp(`\\b${key}=([-+0-9.eE]+)`).exec(text);
    const v = m ? Number(m[1]) : Number.NaN;
    if (!(v >= 0 && v <= 1))
      throw new Error(
        `full-cell OCV file: header has no stoichiometry "${key}=<0…1>" (found ${m ? m[1] : "none"})`,
      );
    return v;
  };
  return { x0: get("x0"), x100: get("x100"), y0: get("y0"), y100: get("y100") };
}

function scaleTable(spec: TableSpec, k: number): TableSpec {
  if (typeof spec === "number") return sig(spec * k);
  const values = Array.isArray(spec.values[0])
    ? (spec.values as number[][]).map((r) => r.map((v) => sig(v * k)))
    : (spec.values as number[]).map((v) => sig(v * k));
  return { ...spec, values };
}

function scaleDir(spec: DirTableSpec, k: number): DirTableSpec {
  if (typeof spec === "object" && "charge" in spec)
    return { charge: scaleTable(spec.charge, k), discharge: scaleTable(spec.discharge, k) };
  return scaleTable(spec, k);
}

export function importChen2020(files: Chen2020Files, o: Chen2020Options): CellParamsFile {
  const capacityAh = o.capacityAh ?? 5;
  const window = readStoichiometryWindow(files.fullCellOcv);
  const t = parseCsv(files.fullCellOcv);
  const si = columnIndex(t, ["soc"], "SOC", "full-cell OCV file");
  const vi = columnIndex(t, ["ocv"], "OCV", "full-cell OCV file");
  const ocv = { soc: Array.from(t.data[si], axisValue), voltageV: Array.from(t.data[vi], (v) => sig(v)) };
  // Full-cell dU/dT = dU_pos/dT(y) − dU_neg/dT(x) along the stoichiometry window.
  const dNeg = compileExpression(OREGAN_2022_ENTROPIC.graphite, ["x"]);
  const dPos = compileExpression(OREGAN_2022_ENTROPIC.nmc811, ["x"]);
  const dUdT = ocv.soc.map((z) =>
    sig(
      dPos([window.y0 + z * (window.y100 - window.y0)]) - dNeg([window.x0 + z * (window.x100 - window.x0)]),
    ),
  );
  const donor = o.resistanceDonor;
  const kR = donor.capacityAh / capacityAh;
  const file = {
    format: "coxswain-cell/1",
    name: o.name,
    description:
      "LG M50 21700 (NMC811 / graphite-SiOx), OCV and electrode curves from Chen 2020; provisional resistances",
    chemistry: "NMC811/graphite-SiOx",
    provenance: {
      importer: "coxswain import chen2020",
      ocv: "full-cell OCV(SOC) derived from the Chen 2020 OCP fits (PyBaMM Chen2020.py), SOC 0/1 = 2.5/4.2 V: data/pybamm-chen2020-lgm50/lgm50_fullcell_ocv_derived_from_chen2020_fits.csv; Chen et al., J. Electrochem. Soc. 167 (2020) 080534; BSD-3-Clause (PyBaMM)",
      electrodes: `graphite and NMC811 OCP curves measured by Chen 2020 (PyBaMM data files), stoichiometry window x0=${window.x0} x100=${window.x100} y0=${window.y0} y100=${window.y100} from the full-cell file's header`,
      capacity: `${capacityAh} A·h: the LG M50's typical capacity (datasheet minimum 4.85 A·h; the Chen 2020 geometry gives 5.15 A·h between 2.5 and 4.2 V)`,
      resistances: `PROVISIONAL: R0, the RC pair(s) and the activation energy are those of the "${o.donorName}" set (${donor.capacityAh} A·h) scaled to ${capacityAh} A·h (R × ${sig(kR)}, C × ${sig(1 / kR)}), not measured on an LG M50; to be replaced by the lg-m50 set identified from measured LG M50 pulses with coxswain fit`,
      dUdT: "dU_pos/dT(y) − dU_neg/dT(x) over the same window, from the LG M50 electrode entropic-coefficient fits of O'Regan et al., Electrochim. Acta 425 (2022) 140700 (coefficients as in PyBaMM's ORegan2022 set, BSD-3-Clause)",
      thermal:
        "21700 estimate: 69 g × ≈1000 J/(kg·K) split 64 J/K jelly roll + 5 J/K can; core-to-can 0.5 W/K; can-to-ambient 0.053 W/K (natural convection, 10 W/(m²·K) × 0.0053 m²)",
      limits:
        "LG INR21700-M50 datasheet (as recalled): 2.50…4.20 V, charge ≤ 0.7 C (3.395 A) at 0…45 °C, discharge ≤ 1.5 C (7.275 A) at −20…60 °C",
    },
    capacityAh,
    nominalVoltageV: LG_M50_DATASHEET.nominalVoltageV,
    massKg: LG_M50_DATASHEET.massKg,
    referenceTempC: donor.referenceTempC ?? 25,
    coulombicEfficiency: 1,
    ocv,
    dUdT_VperK: { soc: ocv.soc, values: dUdT },
    r0Ohm: scaleDir(donor.r0Ohm, kR),
    rc: (donor.rc ?? []).map((p) => ({ rOhm: scaleDir(p.rOhm, kR), cF: scaleTable(p.cF, 1 / kR) })),
    arrheniusEaJperMol: donor.arrheniusEaJperMol ?? 0,
    // The donor's tables are borrowed with the rule they are read by between temperature rows.
    ...(donor.temperatureInterpolation ? { temperatureInterpolation: donor.temperatureInterpolation } : {}),
    thermal: CELL_21700_THERMAL,
    limits: {
      voltageMinV: LG_M50_DATASHEET.voltageMinV,
      voltageMaxV: LG_M50_DATASHEET.voltageMaxV,
      chargeCurrentMaxA: LG_M50_DATASHEET.chargeCurrentMaxA,
      dischargeCurrentMaxA: LG_M50_DATASHEET.dischargeCurrentMaxA,
      chargeTempMinC: LG_M50_DATASHEET.chargeTempMinC,
      chargeTempMaxC: LG_M50_DATASHEET.chargeTempMaxC,
      dischargeTempMinC: LG_M50_DATASHEET.dischargeTempMinC,
      dischargeTempMaxC: LG_M50_DATASHEET.dischargeTempMaxC,
    },
    anode: {
      ocp: readOcpCurve(files.anodeOcp, "graphite OCP"),
      stoAtSoc0: window.x0,
      stoAtSoc1: window.x100,
    },
    cathode: { ocp: readOcpCurve(files.cathodeOcp, "NMC OCP"), stoAtSoc0: window.y0, stoAtSoc1: window.y100 },
  };
  return parseCellParams(file, "parameter set imported from Chen 2020 LG M50 data");
}
