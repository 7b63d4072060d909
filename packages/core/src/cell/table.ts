/**
 * Parameter tables over state of charge × temperature: linear in SOC within a row, clamped at the SOC edges;
 * between two rows of the temperature axis either linear in T ("linear", the default) or Arrhenius-consistent
 * ("arrhenius": ln value linear in 1/T, exact for A·exp(Ea/(R_gas·T)) with one Ea per interval — resistances are
 * close to that, and a linear blend overestimates them between rows). Outside the temperature axis a table either
 * holds its edge value or, for resistances, follows an Arrhenius law R(T) = R(T_edge)·exp(Ea/R_gas·(1/T − 1/T_edge)).
 * A table without a temperature axis has one row at the cell's reference temperature, so Arrhenius scaling applies
 * to it as well.
 */

import { findInterval, integrate1 } from "../math/interp.ts";
import { GAS_CONSTANT } from "../units.ts";

/** How a table interpolates between two rows of its temperature axis (see the file comment). */
export type TemperatureInterpolation = "linear" | "arrhenius";
export const TEMPERATURE_INTERPOLATIONS: readonly TemperatureInterpolation[] = ["linear", "arrhenius"];

/** Gauss–Legendre nodes (on [0, 1]) and weights for the SOC integral of an "arrhenius" table (see integrateSoc). */
const GAUSS_X = [
  0.5 - 0.4305681557970263,
  0.5 - 0.1699905217924281,
  0.5 + 0.1699905217924281,
  0.5 + 0.4305681557970263,
];
const GAUSS_W = [0.1739274225687269, 0.3260725774312731, 0.3260725774312731, 0.1739274225687269];

export class Table {
  /** SOC axis (strictly increasing), length nSoc ≥ 1. */
  readonly soc: Float64Array;
  /** Temperature axis in K (strictly increasing), length nT ≥ 1. */
  readonly tempK: Float64Array;
  /** Values, row-major: values[iT * nSoc + iSoc]. */
  readonly values: Float64Array;
  /** Activation energy for extrapolation in temperature, J/mol; 0 holds the edge value. */
  readonly arrheniusEa: number;
  /** Interpolation between two rows of the temperature axis. */
  readonly tempInterpolation: TemperatureInterpolation;

  constructor(
    soc: ArrayLike<number>,
    tempK: ArrayLike<number>,
    values: ArrayLike<number>,
    arrheniusEa = 0,
    tempInterpolation: TemperatureInterpolation = "linear",
  ) {
    this.soc = Float64Array.from(soc);
    this.tempK = Float64Array.from(tempK);
    this.values = Float64Array.from(values);
    this.arrheniusEa = arrheniusEa;
    this.tempInterpolation = tempInterpolation;
    if (
      this.soc.length < 1 ||
      this.tempK.length < 1 ||
      this.values.length !== this.soc.length * this.tempK.length
    )
      throw new Error(
        `table shape mismatch: ${this.soc.length} SOC × ${this.tempK.length} T points but ${this.values.length} values`,
      );
    if (!TEMPERATURE_INTERPOLATIONS.includes(tempInterpolation))
      throw new Error(
        `table temperature interpolation: got ${JSON.stringify(tempInterpolation)}, expected one of ${TEMPERATURE_INTERPOLATIONS.map((x) => `"${x}"`).join(", ")}`,
      );
    // ln value between rows: only a table with two or more rows interpolates in T, and it needs positive values.
    if (tempInterpolation === "arrhenius" && this.tempK.length > 1) {
      const n = this.soc.length;
      const bad = this.values.findIndex((v) => !(v > 0 && Number.isFinite(v)));
      if (bad >= 0)
        throw new Error(
          `table value at SOC ${this.soc[bad % n]}, ${(this.tempK[Math.floor(bad / n)] - 273.15).toFixed(2)} °C: got ${this.values[bad]}, expected a finite value > 0 ("arrhenius" temperature interpolation takes its logarithm)`,
        );
    }
  }

  static constant(value: number, refTempK: number): Table {
    return new Table([0], [refTempK], [value]);
  }

  get isConstant(): boolean {
    return this.values.every((v) => v === this.values[0]);
  }

  /** Value at (soc, tempK). */
  at(z: number, tK: number): number {
    const ts = this.tempK;
    const nT = ts.length;
    if (nT === 1) return this.row(0, z) * this.arrhenius(tK, ts[0]);
    if (tK <= ts[0]) return this.row(0, z) * this.arrhenius(tK, ts[0]);
    if (tK >= ts[nT - 1]) return this.row(nT - 1, z) * this.arrhenius(tK, ts[nT - 1]);
    const j = findInterval(ts, tK);
    return this.betweenRows(this.row(j, z), this.row(j + 1, z), j, tK);
  }

  /**
   * The value at tK (inside [T_j, T_j+1]) between a at row j and b at row j + 1: (1 − w)·a + w·b with w linear in T,
   * or a·(b/a)^u with u linear in 1/T ("arrhenius"); either way exactly a at T_j. Public so that the pack twin's
   * fast path (cell/fast.ts) computes the same bits.
   */
  betweenRows(a: number, b: number, j: number, tK: number): number {
    const ts = this.tempK;
    if (this.tempInterpolation === "arrhenius")
      return a * Math.exp(this.inverseWeight(j, tK) * Math.log(b / a));
    const w = (tK - ts[j]) / (ts[j + 1] - ts[j]);
    return (1 - w) * a + w * b;
  }

  /** Weight of row j + 1 at tK, linear in 1/T. */
  private inverseWeight(j: number, tK: number): number {
    const ts = this.tempK;
    return (1 / tK - 1 / ts[j]) / (1 / ts[j + 1] - 1 / ts[j]);
  }

  /** Partial derivative with respect to temperature, from the interpolant (0 where the value is held). */
  dT(z: number, tK: number): number {
    const ts = this.tempK;
    const nT = ts.length;
    if (nT === 1 || tK < ts[0] || tK > ts[nT - 1]) {
      // Held edge value: no slope; Arrhenius extrapolation: d/dT of R·exp(Ea/Rg·(1/T − 1/T_edge)).
      return this.arrheniusEa === 0 ? 0 : (-this.at(z, tK) * this.arrheniusEa) / (GAS_CONSTANT * tK * tK);
    }
    const j = findInterval(ts, tK);
    const a = this.row(j, z);
    const b = this.row(j + 1, z);
    if (this.tempInterpolation === "linear") return (b - a) / (ts[j + 1] - ts[j]);
    // d/dT of a·(b/a)^u, u = (1/T − 1/T_j)/(1/T_j+1 − 1/T_j).
    const duDT = -1 / (tK * tK) / (1 / ts[j + 1] - 1 / ts[j]);
    return this.betweenRows(a, b, j, tK) * Math.log(b / a) * duDT;
  }

  /**
   * Integral over SOC from z0 to z1 at a fixed temperature: exact for "linear" tables (piecewise linear in SOC);
   * between the rows of an "arrhenius" table the integrand a(z)^(1−u)·b(z)^u has no elementary antiderivative and
   * is integrated by 4-point Gauss–Legendre on pieces of each SOC segment over which neither row changes by more
   * than 1/8 in ln (relative error ~1e-12).
   */
  integrateSoc(z0: number, z1: number, tK: number): number {
    const ts = this.tempK;
    const nT = ts.length;
    const n = this.soc.length;
    const rowInt = (j: number): number =>
      integrate1(this.soc, this.values.subarray(j * n, (j + 1) * n), z0, z1);
    if (nT === 1) return rowInt(0) * this.arrhenius(tK, ts[0]);
    if (tK <= ts[0]) return rowInt(0) * this.arrhenius(tK, ts[0]);
    if (tK >= ts[nT - 1]) return rowInt(nT - 1) * this.arrhenius(tK, ts[nT - 1]);
    const j = findInterval(ts, tK);
    if (this.tempInterpolation === "arrhenius") return this.integrateBetweenRows(z0, z1, j, tK);
    const w = (tK - ts[j]) / (ts[j + 1] - ts[j]);
    return (1 - w) * rowInt(j) + w * rowInt(j + 1);
  }

  /** ∫ value dz over [z0, z1] between rows j and j + 1 of an "arrhenius" table (see integrateSoc). */
  private integrateBetweenRows(z0: number, z1: number, j: number, tK: number): number {
    if (z1 < z0) return -this.integrateBetweenRows(z1, z0, j, tK);
    const s = this.soc;
    const n = s.length;
    const at = (z: number) => this.betweenRows(this.row(j, z), this.row(j + 1, z), j, tK);
    // Outside the SOC axis the value is held; inside, the pieces between breakpoints are smooth.
    const cuts = [z0, ...Array.from(s).filter((x) => x > z0 && x < z1), z1];
    let total = 0;
    for (let k = 0; k + 1 < cuts.length; k++) {
      const a = cuts[k];
      const b = cuts[k + 1];
      if (b <= s[0] || a >= s[n - 1] || n === 1) {
        total += at(a) * (b - a);
        continue;
      }
      total += this.gaussBetweenRows(a, b, j, tK);
    }
    return total;
  }

  /**
   * 4-point Gauss–Legendre of the value between rows j and j + 1 over [a, b] inside one SOC segment, halved until
   * neither row changes by more than 1/8 in ln across a piece (the rows are linear there, so their ends bound it).
   */
  private gaussBetweenRows(a: number, b: number, j: number, tK: number): number {
    const change = Math.max(
      Math.abs(Math.log(this.row(j, b) / this.row(j, a))),
      Math.abs(Math.log(this.row(j + 1, b) / this.row(j + 1, a))),
    );
    if (change > 0.125) {
      const m = 0.5 * (a + b);
      return this.gaussBetweenRows(a, m, j, tK) + this.gaussBetweenRows(m, b, j, tK);
    }
    let sum = 0;
    for (let q = 0; q < GAUSS_X.length; q++) {
      const z = a + GAUSS_X[q] * (b - a);
      sum += GAUSS_W[q] * this.betweenRows(this.row(j, z), this.row(j + 1, z), j, tK);
    }
    return sum * (b - a);
  }

  /** Slope over SOC at a fixed temperature (0 outside the SOC axis, where the value is held). */
  dSoc(z: number, tK: number): number {
    const s = this.soc;
    const n = s.length;
    if (n === 1 || z < s[0] || z > s[n - 1]) return 0;
    const i = findInterval(s, z);
    const ts = this.tempK;
    const nT = ts.length;
    const rowSlope = (j: number): number =>
      (this.values[j * n + i + 1] - this.values[j * n + i]) / (s[i + 1] - s[i]);
    if (nT === 1 || tK <= ts[0]) return rowSlope(0) * this.arrhenius(tK, ts[0]);
    if (tK >= ts[nT - 1]) return rowSlope(nT - 1) * this.arrhenius(tK, ts[nT - 1]);
    const j = findInterval(ts, tK);
    if (this.tempInterpolation === "arrhenius") {
      // d/dz of a^(1−u)·b^u = value·((1 − u)·a′/a + u·b′/b).
      const a = this.row(j, z);
      const b = this.row(j + 1, z);
      const u = this.inverseWeight(j, tK);
      return this.betweenRows(a, b, j, tK) * ((1 - u) * (rowSlope(j) / a) + u * (rowSlope(j + 1) / b));
    }
    const w = (tK - ts[j]) / (ts[j + 1] - ts[j]);
    return (1 - w) * rowSlope(j) + w * rowSlope(j + 1);
  }

  private row(j: number, z: number): number {
    const s = this.soc;
    const n = s.length;
    const base = j * n;
    const v = this.values;
    if (n === 1 || z <= s[0]) return v[base];
    if (z >= s[n - 1]) return v[base + n - 1];
    const i = findInterval(s, z);
    const w = (z - s[i]) / (s[i + 1] - s[i]);
    return v[base + i] + w * (v[base + i + 1] - v[base + i]);
  }

  private arrhenius(tK: number, edgeK: number): number {
    if (this.arrheniusEa === 0 || tK === edgeK) return 1;
    return Math.exp((this.arrheniusEa / GAS_CONSTANT) * (1 / tK - 1 / edgeK));
  }
}

/** A table that may differ between charge (I > 0) and discharge (I ≤ 0). */
export class DirTable {
  constructor(
    readonly charge: Table,
    readonly discharge: Table,
  ) {}

  static same(t: Table): DirTable {
    return new DirTable(t, t);
  }

  get isSplit(): boolean {
    return this.charge !== this.discharge;
  }

  at(z: number, tK: number, currentA: number): number {
    return (currentA > 0 ? this.charge : this.discharge).at(z, tK);
  }
}

/**
 * A dimensionless multiplier on a resistance table over current magnitude: one SOC × temperature table per point
 * of the |I| axis (A, strictly increasing), linear in |I| between points and held beyond the ends. Charge-transfer
 * resistance falls with current (Butler–Volmer kinetics), most at low temperature.
 */
export class CurrentScale {
  constructor(
    readonly currentA: Float64Array,
    readonly scale: readonly Table[],
  ) {
    if (currentA.length < 1 || scale.length !== currentA.length)
      throw new Error(`current scale: ${currentA.length} current points but ${scale.length} tables`);
  }

  /** Multiplier at (soc, T, current); only |I| matters. */
  at(z: number, tK: number, currentA: number): number {
    const xs = this.currentA;
    const n = xs.length;
    const x = Math.abs(currentA);
    if (n === 1 || x <= xs[0]) return this.scale[0].at(z, tK);
    if (x >= xs[n - 1]) return this.scale[n - 1].at(z, tK);
    const j = findInterval(xs, x);
    const w = (x - xs[j]) / (xs[j + 1] - xs[j]);
    return (1 - w) * this.scale[j].at(z, tK) + w * this.scale[j + 1].at(z, tK);
  }
}
