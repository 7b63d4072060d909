/**
 * Cell parameter sets: the JSON file format (`coxswain-cell/1`), its validation, and compilation into the
 * runtime model (SI units, temperatures in K, interpolation tables).
 *
 * File conventions: temperatures in °C (an edge), everything else SI; capacity in A·h; current positive = charge.
 * A table is a number (constant), `{ soc, values }` (over SOC), `{ tempC, values }` (over temperature), or
 * `{ soc, tempC, values: [[…per SOC…] per temperature] }`. Tables that may differ by current direction
 * (R0, R_k) also accept `{ charge: table, discharge: table }`.
 *
 * Optional current axis of R0 (`r0CurrentScale`) and of an RC pair's R (`rc[k].rCurrentScale`):
 * `{ currentA: [|I| points, A], scale: [table per point] }`, a dimensionless multiplier on the resistance at each
 * current magnitude (in A, not C-rate, like every other quantity of the format), linear in |I| between the points
 * and held beyond them; an RC pair's R is scaled at a fixed time constant τ = R·C (its C scales inversely). The fitter makes the scale 1
 * at its lowest point, so that the tables alone are the low-current (largest) resistances that power limits may
 * use conservatively.
 *
 * `temperatureInterpolation` ("linear", the default, or "arrhenius") says how the resistance tables (R0 and every
 * RC pair's R, both directions) and the RC capacitances are interpolated between two rows of their temperature
 * axis: linear in T, or ln value linear in 1/T (exact for R = A·exp(Ea/(R_gas·T)) with one Ea per interval). With
 * R and C both Arrhenius-consistent, so is τ = R·C. Every table it applies to that has two or more temperature
 * rows must then be positive. OCV, dU/dT, hysteresis and current multipliers stay linear.
 */
import {
  array,
  type Issue,
  isObjectWith,
  number,
  object,
  optional,
  record,
  refine,
  type Schema,
  string,
  union,
  validate,
} from "../schema.ts";
import { celsiusToKelvin } from "../units.ts";
import {
  CurrentScale,
  DirTable,
  Table,
  TEMPERATURE_INTERPOLATIONS,
  type TemperatureInterpolation,
} from "./table.ts";

export const CELL_FORMAT = "coxswain-cell/1";
/**
 * RC pairs a set may have. Four leave room for a ≈1-s, a ≈30-s, a ≈10-min and an hours-long pair (docs/fit.md);
 * the pack twin's fast path takes at most three (cell/fast.ts).
 */
export const MAX_RC_PAIRS = 4;

export type TableSpec = number | { soc?: number[]; tempC?: number[]; values: number[] | number[][] };
export type DirTableSpec = TableSpec | { charge: TableSpec; discharge: TableSpec };

const socAxis = array(number({ min: -0.5, max: 1.5 }), { minLength: 2 });
const tempAxis = array(number({ min: -100, max: 200 }), { minLength: 2 });

function increasing(xs: number[] | undefined, name: string): Issue[] {
  if (!xs) return [];
  for (let i = 1; i < xs.length; i++)
    if (!(xs[i] > xs[i - 1]))
      return [
        {
          path: `${name}[${i}]`,
          value: xs[i],
          expected: `a value greater than ${name}[${i - 1}] = ${xs[i - 1]}`,
        },
      ];
  return [];
}

/** A table of values within `range`. */
function tableSchema(range: Parameters<typeof number>[0]): Schema<TableSpec> {
  const v = number(range);
  const shaped = refine(
    object({
      soc: optional(socAxis),
      tempC: optional(tempAxis),
      values: union<number[] | number[][]>([
        {
          accepts: (x) => Array.isArray(x) && Array.isArray(x[0]),
          schema: array(array(v, { minLength: 1 })),
        },
        { accepts: Array.isArray, schema: array(v, { minLength: 1 }) },
      ]),
    }),
    (t) => {
      const issues = [...increasing(t.soc, "soc"), ...increasing(t.tempC, "tempC")];
      if (issues.length) return issues;
      const nS = t.soc?.length ?? 1;
      const nT = t.tempC?.length ?? 1;
      const twoD = Array.isArray(t.values[0]);
      if (t.soc && t.tempC) {
        if (!twoD || t.values.length !== nT)
          return [
            { path: "values", value: t.values, expected: `${nT} rows (one per tempC) of ${nS} values` },
          ];
        const bad = (t.values as number[][]).findIndex((r) => r.length !== nS);
        if (bad >= 0)
          return [{ path: `values[${bad}]`, value: t.values[bad], expected: `${nS} values (one per soc)` }];
      } else {
        const n = t.soc ? nS : t.tempC ? nT : 0;
        if (n === 0) return [{ path: "", value: t, expected: "a table with a soc and/or tempC axis" }];
        if (twoD || t.values.length !== n)
          return [
            {
              path: "values",
              value: t.values,
              expected: `${n} values, one per ${t.soc ? "soc" : "tempC"} point`,
            },
          ];
      }
      return undefined;
    },
  );
  return union<TableSpec>([
    { accepts: (x) => typeof x === "number", schema: v },
    { accepts: isObjectWith("values"), schema: shaped as Schema<TableSpec> },
  ]);
}

function dirTableSchema(range: Parameters<typeof number>[0]): Schema<DirTableSpec> {
  const t = tableSchema(range);
  return union<DirTableSpec>([
    { accepts: isObjectWith("charge"), schema: object({ charge: t, discharge: t }) as Schema<DirTableSpec> },
    { accepts: () => true, schema: t },
  ]);
}

const curveSchema = (x: string, xRange: Parameters<typeof number>[0]) =>
  refine(
    object({
      [x]: array(number(xRange), { minLength: 2 }),
      voltageV: array(number({ min: -1, max: 10 }), { minLength: 2 }),
    }),
    (c) => {
      const xs = (c as Record<string, number[]>)[x];
      const issues = increasing(xs, x);
      if (issues.length) return issues;
      if (xs.length !== c.voltageV.length)
        return [
          {
            path: "voltageV",
            value: `${c.voltageV.length} values`,
            expected: `${xs.length} values, one per ${x}`,
          },
        ];
      return undefined;
    },
  );

const electrodeSchema = refine(
  object({
    ocp: curveSchema("sto", { min: 0, max: 1 }),
    stoAtSoc0: number({ min: 0, max: 1 }),
    stoAtSoc1: number({ min: 0, max: 1 }),
  }),
  (e) =>
    e.stoAtSoc0 === e.stoAtSoc1
      ? [{ path: "stoAtSoc1", value: e.stoAtSoc1, expected: "a stoichiometry different from stoAtSoc0" }]
      : undefined,
);

const ocvSchema = refine(
  object({
    soc: socAxis,
    tempC: optional(tempAxis),
    voltageV: union<number[] | number[][]>([
      {
        accepts: (x) => Array.isArray(x) && Array.isArray(x[0]),
        schema: array(array(number({ min: 0, max: 10 }))),
      },
      { accepts: () => true, schema: array(number({ min: 0, max: 10 })) },
    ]),
  }),
  (o) => {
    const issues = [...increasing(o.soc, "soc"), ...increasing(o.tempC, "tempC")];
    if (issues.length) return issues;
    const rows = o.tempC ? (o.voltageV as number[][]) : [o.voltageV as number[]];
    if (o.tempC && (!Array.isArray(o.voltageV[0]) || rows.length !== o.tempC.length))
      return [{ path: "voltageV", value: o.voltageV, expected: `${o.tempC.length} rows, one per tempC` }];
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      const p = o.tempC ? `voltageV[${r}]` : "voltageV";
      if (!Array.isArray(row) || row.length !== o.soc.length)
        return [{ path: p, value: row, expected: `${o.soc.length} voltages, one per soc` }];
      for (let i = 1; i < row.length; i++)
        if (row[i] < row[i - 1])
          return [
            {
              path: `${p}[${i}]`,
              value: row[i],
              expected: `an OCV not below the previous point (${row[i - 1]} V): OCV must not fall as SOC rises`,
            },
          ];
    }
    return undefined;
  },
);

const limitsSchema = refine(
  object({
    voltageMinV: number({ gt: 0, max: 10 }),
    voltageMaxV: number({ gt: 0, max: 10 }),
    chargeCurrentMaxA: number({ min: 0 }),
    dischargeCurrentMaxA: number({ min: 0 }),
    chargeTempMinC: number({ min: -100, max: 200 }),
    chargeTempMaxC: number({ min: -100, max: 200 }),
    dischargeTempMinC: number({ min: -100, max: 200 }),
    dischargeTempMaxC: number({ min: -100, max: 200 }),
  }),
  (l) => {
    const out: Issue[] = [];
    if (l.voltageMaxV <= l.voltageMinV)
      out.push({
        path: "voltageMaxV",
        value: l.voltageMaxV,
        expected: `a voltage above voltageMinV (${l.voltageMinV} V)`,
      });
    if (l.chargeTempMaxC <= l.chargeTempMinC)
      out.push({
        path: "chargeTempMaxC",
        value: l.chargeTempMaxC,
        expected: `a temperature above chargeTempMinC (${l.chargeTempMinC} °C)`,
      });
    if (l.dischargeTempMaxC <= l.dischargeTempMinC)
      out.push({
        path: "dischargeTempMaxC",
        value: l.dischargeTempMaxC,
        expected: `a temperature above dischargeTempMinC (${l.dischargeTempMinC} °C)`,
      });
    return out;
  },
);

const currentScaleSchema = refine(
  object({
    currentA: array(number({ min: 0, max: 1e6 }), { minLength: 2 }),
    scale: array(tableSchema({ gt: 0, max: 10 }), { minLength: 2 }),
  }),
  (c) => {
    const issues = increasing(c.currentA, "currentA");
    if (issues.length) return issues;
    if (c.scale.length !== c.currentA.length)
      return [
        {
          path: "scale",
          value: `${c.scale.length} tables`,
          expected: `${c.currentA.length} tables, one per currentA point`,
        },
      ];
    return undefined;
  },
);

export const cellParamsSchema = refine(
  object({
    format: string({ oneOf: [CELL_FORMAT] }),
    name: string({ pattern: /^[a-z0-9][a-z0-9._-]*$/ }),
    description: optional(string()),
    chemistry: optional(string()),
    /** Where the numbers come from: source data, licence, method, tool version. Free-form. */
    provenance: optional(record({ expected: "anything", parse: (v) => v } as Schema<unknown>)),
    /** Figures that validate the set (for example voltage RMSE per drive cycle). Free-form. */
    validation: optional(record({ expected: "anything", parse: (v) => v } as Schema<unknown>)),
    capacityAh: number({ gt: 0, max: 10000 }),
    nominalVoltageV: optional(number({ gt: 0, max: 10 })),
    massKg: optional(number({ gt: 0 })),
    referenceTempC: optional(number({ min: -100, max: 200 }), 25),
    coulombicEfficiency: optional(number({ gt: 0.5, max: 1 }), 1),
    ocv: ocvSchema,
    dUdT_VperK: optional(tableSchema({ min: -0.01, max: 0.01 })),
    r0Ohm: dirTableSchema({ min: 0, max: 100 }),
    /** Multiplier on R0 over current magnitude (see the file comment); absent: R0 does not depend on |I|. */
    r0CurrentScale: optional(currentScaleSchema),
    rc: optional(
      array(
        object({
          rOhm: dirTableSchema({ min: 0, max: 100 }),
          cF: tableSchema({ gt: 0, max: 1e9 }),
          rCurrentScale: optional(currentScaleSchema),
        }),
        { maxLength: MAX_RC_PAIRS },
      ),
      [],
    ),
    arrheniusEaJperMol: optional(number({ min: 0, max: 200000 }), 0),
    /** Between temperature rows of the R0, R_k and C_k tables: linear in T, or ln value linear in 1/T. */
    temperatureInterpolation: optional(
      string({ oneOf: TEMPERATURE_INTERPOLATIONS }) as Schema<TemperatureInterpolation>,
      "linear",
    ),
    hysteresis: optional(
      object({
        mV: tableSchema({ min: 0, max: 1 }),
        m0V: optional(tableSchema({ min: 0, max: 1 })),
        gamma: number({ min: 0, max: 10000 }),
        thresholdA: optional(number({ min: 0 })),
      }),
    ),
    thermal: object({
      cellHeatCapacityJperK: number({ gt: 0 }),
      caseHeatCapacityJperK: number({ gt: 0 }),
      cellToCaseWperK: number({ gt: 0 }),
      caseToAmbientWperK: number({ gt: 0 }),
    }),
    limits: limitsSchema,
    anode: optional(electrodeSchema),
    cathode: optional(electrodeSchema),
  }),
  (f) => (f.temperatureInterpolation === "arrhenius" ? nonPositiveBetweenRows(f) : undefined),
);

/**
 * With "arrhenius" interpolation, the first value ≤ 0 of every R0, R_k and C_k table that has two or more
 * temperature rows (ln of it is taken between the rows).
 */
function nonPositiveBetweenRows(f: {
  r0Ohm: DirTableSpec;
  rc?: { rOhm: DirTableSpec; cF: TableSpec }[];
}): Issue[] {
  const issues: Issue[] = [];
  const check = (t: TableSpec, path: string) => {
    if (typeof t === "number" || !t.tempC) return;
    const rows: number[][] = t.soc ? (t.values as number[][]) : [t.values as number[]];
    for (let r = 0; r < rows.length; r++) {
      const i = rows[r].findIndex((v) => !(v > 0));
      if (i >= 0) {
        issues.push({
          path: t.soc ? `${path}.values[${r}][${i}]` : `${path}.values[${i}]`,
          value: rows[r][i],
          expected: `a value > 0 (temperatureInterpolation "arrhenius" interpolates its logarithm between temperature rows)`,
        });
        return;
      }
    }
  };
  const checkDir = (t: DirTableSpec, path: string) => {
    if (typeof t === "object" && "charge" in t) {
      check(t.charge, `${path}.charge`);
      check(t.discharge, `${path}.discharge`);
    } else check(t, path);
  };
  checkDir(f.r0Ohm, "r0Ohm");
  (f.rc ?? []).forEach((b, k) => {
    checkDir(b.rOhm, `rc[${k}].rOhm`);
    check(b.cF, `rc[${k}].cF`);
  });
  return issues;
}

export type CellParamsFile = ReturnType<typeof parseCellParams>;

/** Validates a parsed JSON parameter set; throws a ValidationError naming every bad field. */
export function parseCellParams(json: unknown, source = "cell parameter set") {
  return validate(cellParamsSchema, json, source);
}

/** The runtime cell model: SI units (K), compiled tables. */
export interface CellModel {
  readonly name: string;
  readonly capacityAh: number;
  readonly refTempK: number;
  readonly coulombicEfficiency: number;
  /** OCV over SOC (× temperature when given as a 2-D table). */
  readonly ocv: Table;
  /** Entropic coefficient dU/dT over SOC, V/K (used when the OCV table has no temperature axis). */
  readonly dUdT: Table;
  /** R0 over SOC × temperature; with a current axis, the value at its lowest current point (scale there 1). */
  readonly r0: DirTable;
  /** Multiplier on r0 over |I| (null: none). Use r0At() in model.ts for the resistance at a current. */
  readonly r0CurrentScale: CurrentScale | null;
  /** RC pairs; rCurrentScale multiplies r over |I| (null: none). */
  readonly rc: readonly {
    readonly r: DirTable;
    readonly c: Table;
    readonly rCurrentScale: CurrentScale | null;
  }[];
  readonly hysteresis: {
    readonly m: Table;
    readonly m0: Table;
    readonly gamma: number;
    readonly thresholdA: number;
  } | null;
  readonly thermal: {
    readonly cellHeatCapacityJperK: number;
    readonly caseHeatCapacityJperK: number;
    readonly cellToCaseWperK: number;
    readonly caseToAmbientWperK: number;
  };
  readonly limits: {
    readonly voltageMinV: number;
    readonly voltageMaxV: number;
    readonly chargeCurrentMaxA: number;
    readonly dischargeCurrentMaxA: number;
    readonly chargeTempMinK: number;
    readonly chargeTempMaxK: number;
    readonly dischargeTempMinK: number;
    readonly dischargeTempMaxK: number;
  };
  readonly anode: Electrode | null;
  readonly cathode: Electrode | null;
  /** The validated file the model was compiled from. */
  readonly file: CellParamsFile;
}

export interface Electrode {
  readonly sto: Float64Array;
  readonly ocpV: Float64Array;
  readonly stoAtSoc0: number;
  readonly stoAtSoc1: number;
}

function compileTable(
  spec: TableSpec,
  refTempK: number,
  ea = 0,
  tempInterpolation: TemperatureInterpolation = "linear",
): Table {
  if (typeof spec === "number") return new Table([0], [refTempK], [spec], ea, tempInterpolation);
  const soc = spec.soc ?? [0];
  const temps = spec.tempC ? spec.tempC.map(celsiusToKelvin) : [refTempK];
  const values = spec.soc && spec.tempC ? (spec.values as number[][]).flat() : (spec.values as number[]);
  return new Table(soc, temps, values, ea, tempInterpolation);
}

function compileDir(
  spec: DirTableSpec,
  refTempK: number,
  ea: number,
  tempInterpolation: TemperatureInterpolation,
): DirTable {
  if (typeof spec === "object" && "charge" in spec)
    return new DirTable(
      compileTable(spec.charge, refTempK, ea, tempInterpolation),
      compileTable(spec.discharge, refTempK, ea, tempInterpolation),
    );
  return DirTable.same(compileTable(spec, refTempK, ea, tempInterpolation));
}

function compileScale(
  spec: { currentA: number[]; scale: TableSpec[] } | undefined,
  refTempK: number,
): CurrentScale | null {
  return spec
    ? new CurrentScale(
        Float64Array.from(spec.currentA),
        spec.scale.map((t) => compileTable(t, refTempK)),
      )
    : null;
}

/** Compiles a validated file into the runtime model. */
export function compileCellParams(file: CellParamsFile): CellModel {
  const refTempK = celsiusToKelvin(file.referenceTempC ?? 25);
  const ea = file.arrheniusEaJperMol ?? 0;
  const between = file.temperatureInterpolation ?? "linear";
  const o = file.ocv;
  const ocv = o.tempC
    ? new Table(o.soc, o.tempC.map(celsiusToKelvin), (o.voltageV as number[][]).flat())
    : new Table(o.soc, [refTempK], o.voltageV as number[]);
  const h = file.hysteresis;
  const l = file.limits;
  const electrode = (e: typeof file.anode): Electrode | null =>
    e
      ? {
          sto: Float64Array.from(e.ocp.sto),
          ocpV: Float64Array.from(e.ocp.voltageV),
          stoAtSoc0: e.stoAtSoc0,
          stoAtSoc1: e.stoAtSoc1,
        }
      : null;
  return {
    name: file.name,
    capacityAh: file.capacityAh,
    refTempK,
    coulombicEfficiency: file.coulombicEfficiency ?? 1,
    ocv,
    dUdT: compileTable(file.dUdT_VperK ?? 0, refTempK),
    r0: compileDir(file.r0Ohm, refTempK, ea, between),
    r0CurrentScale: compileScale(file.r0CurrentScale, refTempK),
    rc: (file.rc ?? []).map((b) => ({
      r: compileDir(b.rOhm, refTempK, ea, between),
      c: compileTable(b.cF, refTempK, 0, between),
      rCurrentScale: compileScale(b.rCurrentScale, refTempK),
    })),
    hysteresis: h
      ? {
          m: compileTable(h.mV, refTempK),
          m0: compileTable(h.m0V ?? 0, refTempK),
          gamma: h.gamma,
          thresholdA: h.thresholdA ?? file.capacityAh / 100,
        }
      : null,
    thermal: { ...file.thermal },
    limits: {
      voltageMinV: l.voltageMinV,
      voltageMaxV: l.voltageMaxV,
      chargeCurrentMaxA: l.chargeCurrentMaxA,
      dischargeCurrentMaxA: l.dischargeCurrentMaxA,
      chargeTempMinK: celsiusToKelvin(l.chargeTempMinC),
      chargeTempMaxK: celsiusToKelvin(l.chargeTempMaxC),
      dischargeTempMinK: celsiusToKelvin(l.dischargeTempMinC),
      dischargeTempMaxK: celsiusToKelvin(l.dischargeTempMaxC),
    },
    anode: electrode(file.anode),
    cathode: electrode(file.cathode),
    file,
  };
}

/** Validates and compiles in one go. */
export function loadCellModel(json: unknown, source?: string): CellModel {
  return compileCellParams(parseCellParams(json, source));
}
