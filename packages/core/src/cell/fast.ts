/**
 * A fast stepping path for a CellArray (same state arrays, same equations), for packs of thousands of cells.
 *
 * What it caches, per cell, and why the result stays faithful:
 *  - OCV(z, T) as an exact affine-in-z, affine-in-T form p0 + p1·z + T·(p2 + p3·z), valid inside the current
 *    SOC interval of the OCV (and dU/dT) table and the current temperature interval. Inside that box it equals
 *    the table interpolation exactly; leaving the box re-derives it. So OCV, its slope, and the energy integrals
 *    carry no approximation.
 *  - R0, R_k, C_k (hence a_k = exp(−dt/τ_k)), M and M0 for one current direction, refreshed every
 *    `refreshEvery` steps, on a direction change, or on leaving the OCV box. This is the one approximation:
 *    these parameters are taken from a state up to refreshEvery·dt old. The voltage error of a step is bounded
 *    by |I|·(|∂R/∂z|·Δz + |∂R/∂T|·ΔT) + |∂M/∂z|·Δz + …, where Δz and ΔT are the changes since the refresh
 *    (at 2 C and refreshEvery·dt = 1 s, Δz ≈ 6e-4: far below a millivolt for smooth tables). Tests compare it
 *    with CellArray's exact path.
 *
 * Linearisation is by "mode": +1 charge, −1 discharge, 0 rest (|I| at or below the hysteresis threshold: the
 * instantaneous hysteresis sign is held). `commit` applies the model the linearisation chose, so the terminal
 * voltage it returns is exactly emf + resistance·I, which is what makes parallel current sharing exact.
 */
import { SECONDS_PER_HOUR } from "../units.ts";
import { type CellArray, dOcvdT, ocvIntegral } from "./model.ts";
import type { CellModel } from "./params.ts";
import type { Table } from "./table.ts";

/** [lo, hi] of the SOC segment of `t` that contains z (the held regions outside the axis are segments too). */
function segment(axis: Float64Array, z: number, out: Float64Array): void {
  const n = axis.length;
  if (n === 1) {
    out[0] = -Infinity;
    out[1] = Infinity;
    return;
  }
  if (z < axis[0]) {
    out[0] = -Infinity;
    out[1] = axis[0];
    return;
  }
  if (z >= axis[n - 1]) {
    out[0] = axis[n - 1];
    out[1] = Infinity;
    return;
  }
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (axis[mid] <= z) lo = mid;
    else hi = mid;
  }
  out[0] = axis[lo];
  out[1] = axis[hi];
}

export class FastCells {
  readonly cells: CellArray;
  readonly model: CellModel;
  readonly n: number;
  readonly nRc: number;
  refreshEvery: number;

  /** Mode the cached coefficients were made for (+1, −1, 0); 2 = no valid cache. */
  private readonly mode: Int8Array;
  private readonly age: Int32Array;
  private readonly q: Float64Array;
  private readonly zLo: Float64Array;
  private readonly zHi: Float64Array;
  private readonly tLo: Float64Array;
  private readonly tHi: Float64Array;
  private readonly p0: Float64Array;
  private readonly p1: Float64Array;
  private readonly p2: Float64Array;
  private readonly p3: Float64Array;
  private readonly r0: Float64Array;
  private readonly rk: Float64Array[];
  private readonly tau: Float64Array[];
  private readonly ak: Float64Array[];
  private readonly m: Float64Array;
  private readonly m0: Float64Array;
  private readonly cachedDt: Float64Array;
  /** Mode chosen by the last linearize (what commit applies). */
  private readonly stepMode: Int8Array;
  private readonly seg = new Float64Array(2);
  private readonly hasHys: boolean;
  private readonly gamma: number;
  private readonly eta: number;
  /** Hysteresis threshold current, A: at or below it a cell is in mode 0. */
  readonly thresholdA: number;

  constructor(cells: CellArray, refreshEvery = 10) {
    this.cells = cells;
    this.model = cells.model;
    this.n = cells.n;
    this.nRc = cells.nRc;
    if (!(Number.isInteger(refreshEvery) && refreshEvery >= 1))
      throw new Error(`refreshEvery: got ${refreshEvery}, expected an integer >= 1`);
    this.refreshEvery = refreshEvery;
    const n = cells.n;
    const f = () => new Float64Array(n);
    this.mode = new Int8Array(n).fill(2);
    this.age = new Int32Array(n);
    this.q = f();
    this.zLo = f();
    this.zHi = f();
    this.tLo = f();
    this.tHi = f();
    this.p0 = f();
    this.p1 = f();
    this.p2 = f();
    this.p3 = f();
    this.r0 = f();
    this.rk = cells.vrc.map(f);
    this.tau = cells.vrc.map(f);
    this.ak = cells.vrc.map(f);
    this.m = f();
    this.m0 = f();
    this.cachedDt = f();
    this.stepMode = new Int8Array(n);
    this.hasHys = this.model.hysteresis !== null;
    this.gamma = this.model.hysteresis?.gamma ?? 0;
    this.eta = this.model.coulombicEfficiency;
    this.thresholdA = this.model.hysteresis?.thresholdA ?? this.model.capacityAh / 100;
  }

  /** Forgets cell i's cached coefficients (call after changing its capacityScale or resistanceScale). */
  invalidate(i: number): void {
    this.mode[i] = 2;
  }

  invalidateAll(): void {
    this.mode.fill(2);
  }

  /** Re-derives cell i's cached coefficients at its present state for `mode`. */
  private refresh(i: number, dt: number, mode: number): void {
    const m = this.model;
    const c = this.cells;
    const z = c.soc[i];
    const tK = c.tCellK[i];
    const rs = c.resistanceScale[i];
    this.q[i] = SECONDS_PER_HOUR * m.capacityAh * c.capacityScale[i];
    this.affineOcv(i, z, tK);
    this.r0[i] = m.r0.at(z, tK, mode) * rs;
    for (let k = 0; k < this.nRc; k++) {
      const b = m.rc[k];
      const r = b.r.at(z, tK, mode) * rs;
      const tau = r * b.c.at(z, tK);
      this.rk[k][i] = r;
      this.tau[k][i] = tau;
      this.ak[k][i] = tau > 0 ? Math.exp(-dt / tau) : 0;
    }
    const hy = m.hysteresis;
    if (hy) {
      this.m[i] = hy.m.at(z, tK);
      this.m0[i] = hy.m0.at(z, tK);
    }
    this.mode[i] = mode;
    this.age[i] = 0;
    this.cachedDt[i] = dt;
  }

  /** The exact affine form of OCV(z, T) in the table box containing (z, T). */
  private affineOcv(i: number, z: number, tK: number): void {
    const m = this.model;
    const s = this.seg;
    const ocv = m.ocv;
    segment(ocv.soc, z, s);
    let lo = s[0];
    let hi = s[1];
    if (ocv.tempK.length > 1) {
      // Bilinear table: within one SOC × T cell, OCV is affine in z for each row and affine in T between rows.
      const ts = ocv.tempK;
      const nT = ts.length;
      let tl: number;
      let th: number;
      let ra: number;
      let rb: number;
      if (tK < ts[0]) {
        tl = -Infinity;
        th = ts[0];
        ra = rb = 0;
      } else if (tK >= ts[nT - 1]) {
        tl = ts[nT - 1];
        th = Infinity;
        ra = rb = nT - 1;
      } else {
        let j = 0;
        while (j < nT - 2 && ts[j + 1] <= tK) j++;
        tl = ts[j];
        th = ts[j + 1];
        ra = j;
        rb = j + 1;
      }
      const [a0, a1] = rowAffine(ocv, ra, lo, hi);
      const [b0, b1] = rowAffine(ocv, rb, lo, hi);
      if (ra === rb) {
        this.p0[i] = a0;
        this.p1[i] = a1;
        this.p2[i] = 0;
        this.p3[i] = 0;
      } else {
        // OCV = A + (T − tl)/(th − tl)·(B − A)
        const inv = 1 / (th - tl);
        this.p2[i] = (b0 - a0) * inv;
        this.p3[i] = (b1 - a1) * inv;
        this.p0[i] = a0 - tl * this.p2[i];
        this.p1[i] = a1 - tl * this.p3[i];
      }
      this.tLo[i] = tl;
      this.tHi[i] = th;
    } else {
      // 1-D OCV plus (T − Tref)·dU/dT(z): intersect the two tables' SOC segments.
      segment(m.dUdT.soc, z, s);
      lo = Math.max(lo, s[0]);
      hi = Math.min(hi, s[1]);
      const [u0, u1] = rowAffine(ocv, 0, lo, hi);
      const [d0, d1] = rowAffine(m.dUdT, 0, lo, hi);
      const tr = m.refTempK;
      this.p0[i] = u0 - tr * d0;
      this.p1[i] = u1 - tr * d1;
      this.p2[i] = d0;
      this.p3[i] = d1;
      this.tLo[i] = -Infinity;
      this.tHi[i] = Infinity;
    }
    this.zLo[i] = lo;
    this.zHi[i] = hi;
  }

  /**
   * Sets emf[i] and resistance[i] so that V = emf + resistance·I at the end of a step of length dt, for the
   * model of `mode` (+1 charge, −1 discharge, 0 rest).
   */
  linearize(i: number, dt: number, mode: number): void {
    const c = this.cells;
    const z = c.soc[i];
    const tK = c.tCellK[i];
    if (
      this.mode[i] !== mode ||
      this.age[i] >= this.refreshEvery ||
      this.cachedDt[i] !== dt ||
      z < this.zLo[i] ||
      z > this.zHi[i] ||
      tK < this.tLo[i] ||
      tK > this.tHi[i]
    )
      this.refresh(i, dt, mode);
    this.age[i]++;
    this.stepMode[i] = mode;
    const q = this.q[i];
    const eta = mode > 0 ? this.eta : 1;
    const zl = z - (c.leakA[i] * dt) / q;
    const slope = this.p1[i] + this.p3[i] * tK;
    let e = this.p0[i] + this.p2[i] * tK + slope * zl;
    let r = this.r0[i] + (slope * eta * dt) / q;
    for (let k = 0; k < this.nRc; k++) {
      const a = this.ak[k][i];
      e += a * c.vrc[k][i];
      r += this.rk[k][i] * (1 - a);
    }
    if (this.hasHys) e += this.m0[i] * (mode !== 0 ? mode : c.s[i]) + this.m[i] * c.h[i];
    c.emf[i] = e;
    c.resistance[i] = r;
  }

  /**
   * Applies current I to cell i over dt with the model chosen by the last linearize(i, …); returns the terminal
   * voltage emf + resistance·I. Energies are accounted as in CellArray.commit.
   */
  commit(i: number, currentA: number, dt: number): number {
    const c = this.cells;
    const mode = this.stepMode[i];
    const z = c.soc[i];
    const tK = c.tCellK[i];
    const q = this.q[i];
    const leak = c.leakA[i];
    const eta = mode > 0 ? this.eta : 1;
    const zRate = (eta * currentA - leak) / q;
    const z1 = z + zRate * dt;
    let jU: number;
    let jD: number;
    if (z1 >= this.zLo[i] && z1 <= this.zHi[i]) {
      // Affine OCV over the whole step: the time integrals are the midpoint values times dt.
      const zm = 0.5 * (z + z1);
      jD = (this.p2[i] + this.p3[i] * zm) * dt;
      jU = (this.p0[i] + this.p1[i] * zm) * dt + tK * jD;
    } else if (zRate !== 0 && dt > 0) {
      // The step crosses a table breakpoint: integrate the tables exactly.
      const m = this.model;
      jU = ocvIntegral(m, z, z1, tK) / zRate;
      jD =
        (m.ocv.tempK.length > 1
          ? dOcvdT(m, 0.5 * (z + z1), tK) * (z1 - z)
          : m.dUdT.integrateSoc(z, z1, m.refTempK)) / zRate;
    } else {
      jD = (this.p2[i] + this.p3[i] * z) * dt;
      jU = (this.p0[i] + this.p1[i] * z) * dt + tK * jD;
    }
    const r0 = this.r0[i];
    const i2 = currentA * currentA;
    let elec = currentA * jU + r0 * i2 * dt;
    let heat = r0 * i2 * dt + (1 - eta) * currentA * jU + leak * jU + (eta * currentA - leak) * tK * jD;
    for (let k = 0; k < this.nRc; k++) {
      const rk = this.rk[k][i];
      const a = this.ak[k][i];
      const tau = this.tau[k][i];
      const vk = c.vrc[k];
      const v0 = vk[i];
      const vInf = rk * currentA;
      vk[i] = a * v0 + (1 - a) * vInf;
      if (rk > 0 && dt > 0) {
        const d = v0 - vInf;
        const oneMinusA = tau * (1 - a);
        elec += currentA * (vInf * dt + d * oneMinusA);
        heat += (vInf * vInf * dt + 2 * vInf * d * oneMinusA + d * d * tau * 0.5 * (1 - a * a)) / rk;
      }
    }
    if (this.hasHys) {
      const h0 = c.h[i];
      const sgn = currentA > 0 ? 1 : currentA < 0 ? -1 : 0;
      const sNew = mode !== 0 ? mode : c.s[i];
      const kappa = (eta * Math.abs(currentA) * this.gamma) / q;
      let hInt: number;
      if (kappa > 0 && dt > 0) {
        const decay = Math.exp(-kappa * dt);
        c.h[i] = sgn + (h0 - sgn) * decay;
        hInt = sgn * dt + ((h0 - sgn) * (1 - decay)) / kappa;
      } else hInt = h0 * dt;
      const eHys = currentA * (this.m0[i] * sNew * dt + this.m[i] * hInt);
      elec += eHys;
      heat += eHys;
      c.s[i] = sNew;
    }
    c.soc[i] = z1;
    c.electricalJ[i] += elec;
    c.heatJ[i] += heat;
    c.heatW[i] = dt > 0 ? heat / dt : 0;
    return c.emf[i] + c.resistance[i] * currentA;
  }

  /** The mode for a current: +1 / −1 above the hysteresis threshold, else 0. */
  modeOf(currentA: number): number {
    const thr = this.thresholdA;
    return currentA > thr ? 1 : currentA < -thr ? -1 : 0;
  }
}

/** Row j of a table as v = a + b·z over the SOC segment [lo, hi] (a held value outside the axis). */
function rowAffine(t: Table, j: number, lo: number, hi: number): [number, number] {
  const s = t.soc;
  const n = s.length;
  const v = t.values;
  const base = j * n;
  if (n === 1 || hi <= s[0]) return [v[base], 0];
  if (lo >= s[n - 1]) return [v[base + n - 1], 0];
  // [lo, hi] lies inside one axis interval: find it from its midpoint.
  const zm = 0.5 * (lo + hi);
  let a = 0;
  while (a < n - 2 && s[a + 1] <= zm) a++;
  const b = (v[base + a + 1] - v[base + a]) / (s[a + 1] - s[a]);
  return [v[base + a] - b * s[a], b];
}
