/**
 * Parameter tables over state of charge × temperature: bilinear interpolation, clamped at the SOC edges; outside
 * the temperature axis a table either holds its edge value or, for resistances, follows an Arrhenius law
 * R(T) = R(T_edge)·exp(Ea/R_gas·(1/T − 1/T_edge)). A table without a temperature axis has one row at the cell's
 * reference temperature, so Arrhenius scaling applies to it as well.
 */

import { findInterval, integrate1 } from "../math/interp.ts";
import { GAS_CONSTANT } from "../units.ts";

export class Table {
  /** SOC axis (strictly increasing), length nSoc ≥ 1. */
  readonly soc: Float64Array;
  /** Temperature axis in K (strictly increasing), length nT ≥ 1. */
  readonly tempK: Float64Array;
  /** Values, row-major: values[iT * nSoc + iSoc]. */
  readonly values: Float64Array;
  /** Activation energy for extrapolation in temperature, J/mol; 0 holds the edge value. */
  readonly arrheniusEa: number;

  constructor(soc: ArrayLike<number>, tempK: ArrayLike<number>, values: ArrayLike<number>, arrheniusEa = 0) {
    this.soc = Float64Array.from(soc);
    this.tempK = Float64Array.from(tempK);
    this.values = Float64Array.from(values);
    this.arrheniusEa = arrheniusEa;
    if (
      this.soc.length < 1 ||
      this.tempK.length < 1 ||
      this.values.length !== this.soc.length * this.tempK.length
    )
      throw new Error(
        `table shape mismatch: ${this.soc.length} SOC × ${this.tempK.length} T points but ${this.values.length} values`,
      );
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
    const w = (tK - ts[j]) / (ts[j + 1] - ts[j]);
    return (1 - w) * this.row(j, z) + w * this.row(j + 1, z);
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
    return (this.row(j + 1, z) - this.row(j, z)) / (ts[j + 1] - ts[j]);
  }

  /** Exact integral over SOC from z0 to z1 at a fixed temperature. */
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
    const w = (tK - ts[j]) / (ts[j + 1] - ts[j]);
    return (1 - w) * rowInt(j) + w * rowInt(j + 1);
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
