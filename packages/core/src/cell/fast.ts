/**
 * A fast stepping path for a CellArray (same state arrays, same equations), for packs of thousands of cells.
 *
 * What it caches, per cell, and why the result stays faithful:
 *  - OCV(z, T) as an exact affine-in-z, affine-in-T form p0 + p1·z + T·(p2 + p3·z), valid inside the current
 *    SOC interval of the OCV (and dU/dT) table and the current temperature interval. Inside that box it equals
 *    the table interpolation exactly; leaving the box re-derives it. So OCV, its slope, and the energy integrals
 *    carry no approximation.
 *  - R0, R_k, C_k (hence a_k = exp(−dt/τ_k)) for both current directions, and M and M0, refreshed every
 *    `refreshEvery` steps or on leaving the OCV box (a drive cycle flips direction every few seconds, so both
 *    directions are kept). This is the one approximation:
 *    these parameters are taken from a state up to refreshEvery·dt old (a window of cells refreshes each step,
 *    see beginStep). The voltage error of a step is bounded
 *    by |I|·(|∂R/∂z|·Δz + |∂R/∂T|·ΔT) + |∂M/∂z|·Δz + …, where Δz and ΔT are the changes since the refresh
 *    (at 2 C and refreshEvery·dt = 5 s, Δz ≈ 3e-3: well below a millivolt for smooth tables; measured on the
 *    test cell: 4e-5 V at constant temperature, 0.23 mV under a 10 K swing over 30 min, 1.3 mV under an
 *    extreme 10 K swing in 190 s). Tests compare it
 *    with CellArray's exact path.
 *  - The hysteresis decay e^(−κ·dt) and its integral use series for small arguments (truncation below 1e-14).
 * dt must be > 0 (a zero-length step has nothing to integrate).
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

// Layout of one cell's cached coefficients in the packed block (one contiguous run per cell, for locality).
const VALID = 0; // 1 when the cache holds coefficients, 0 after invalidate
const STAMP = 1; // step number of the last refresh (a cell refreshes at most once per step)
const INV_Q = 2; // 1 / capacity, 1/(A·s)
const Z_LO = 3;
const Z_HI = 4;
const T_LO = 5;
const T_HI = 6;
const P0 = 7;
const P1 = 8;
const P2 = 9;
const P3 = 10;
const M = 11;
const M0 = 12;
const DT = 13;
// Then per direction (discharge and rest first, charge second): R0, and per branch k the BRANCH values below.
// Per branch: R_k, a_k = e^(−dt/τ), R_k·(1 − a_k), τ·(1 − a_k), τ·(1 − a_k²)/(2·R_k), 1/R_k.
const B_R = 0;
const B_A = 1;
const B_RA = 2;
const B_W = 3;
const B_G = 4;
const B_INV_R = 5;
const BRANCH = 6;
const DIR = 14;

export class FastCells {
  readonly cells: CellArray;
  readonly model: CellModel;
  readonly n: number;
  readonly nRc: number;
  readonly refreshEvery: number;
  /** Hysteresis threshold current, A: at or below it a cell is in mode 0. */
  readonly thresholdA: number;
  /** Terminal voltage at the end of the last committed step, V. */
  readonly voltageV: Float64Array;
  /** Current of each cell for commit, A (set it before commit(i)). */
  readonly currentA: Float64Array;
  /** Length of the current step, s (set by beginStep). */
  private dt = 0;

  private readonly stride: number;
  private readonly dirStride: number;
  /** Cells [refreshLo, refreshHi) refresh their coefficients this step (a window rolling over the array). */
  private refreshLo = 0;
  private refreshHi = 0;
  private stepCount = 0;
  private stepNumber = 0;
  private readonly co: Float64Array;
  /** Mode of each cell for this step (what linearizeRange uses and commit applies): +1, −1 or 0. */
  readonly mode: Int8Array;
  private readonly seg = new Float64Array(2);
  private readonly ab = new Float64Array(4);
  private readonly hasHys: boolean;
  private readonly gamma: number;
  private readonly eta: number;
  private readonly capacityAs: number;
  // The CellArray's state arrays, held directly (one property load fewer per access in the hot path).
  private readonly soc: Float64Array;
  private readonly tCellK: Float64Array;
  private readonly leakA: Float64Array;
  private readonly h: Float64Array;
  private readonly s: Float64Array;
  private readonly emf: Float64Array;
  private readonly resistance: Float64Array;
  private readonly electricalJ: Float64Array;
  private readonly heatJ: Float64Array;
  private readonly heatW: Float64Array;

  constructor(cells: CellArray, refreshEvery = 10) {
    this.cells = cells;
    this.model = cells.model;
    this.n = cells.n;
    this.nRc = cells.nRc;
    if (!(Number.isInteger(refreshEvery) && refreshEvery >= 1))
      throw new Error(`refreshEvery: got ${refreshEvery}, expected an integer >= 1`);
    this.refreshEvery = refreshEvery;
    this.dirStride = 1 + BRANCH * this.nRc;
    this.stride = DIR + 2 * this.dirStride;
    this.co = new Float64Array(this.n * this.stride);
    this.mode = new Int8Array(this.n);
    this.voltageV = new Float64Array(this.n);
    this.currentA = new Float64Array(this.n);
    this.hasHys = this.model.hysteresis !== null;
    this.gamma = this.model.hysteresis?.gamma ?? 0;
    this.eta = this.model.coulombicEfficiency;
    this.thresholdA = this.model.hysteresis?.thresholdA ?? this.model.capacityAh / 100;
    this.capacityAs = SECONDS_PER_HOUR * this.model.capacityAh;
    this.soc = cells.soc;
    this.tCellK = cells.tCellK;
    this.leakA = cells.leakA;
    this.h = cells.h;
    this.s = cells.s;
    this.emf = cells.emf;
    this.resistance = cells.resistance;
    this.electricalJ = cells.electricalJ;
    this.heatJ = cells.heatJ;
    this.heatW = cells.heatW;
    this.invalidateAll();
  }

  /**
   * Call once per step of the whole array with the step length: moves the refresh window on, so that every cell refreshes once in
   * `refreshEvery` steps (a cell that is never linearised in a step with the window on it keeps its cache
   * longer; a direction change or leaving its OCV box always refreshes it).
   */
  beginStep(dt: number): void {
    if (!(dt > 0)) throw new Error(`step length: got ${dt} s, expected a time > 0`);
    this.dt = dt;
    const per = Math.ceil(this.n / this.refreshEvery);
    this.refreshLo = this.stepCount * per;
    this.refreshHi = this.refreshLo + per;
    this.stepCount = (this.stepCount + 1) % this.refreshEvery;
    this.stepNumber++;
  }

  /** Forgets cell i's cached coefficients (call after changing its capacityScale or resistanceScale). */
  invalidate(i: number): void {
    this.co[i * this.stride + VALID] = 0;
  }

  invalidateAll(): void {
    for (let i = 0; i < this.n; i++) this.invalidate(i);
  }

  /** Re-derives cell i's cached resistances, capacitances and hysteresis magnitudes at its present state. */
  private refresh(i: number, dt: number): void {
    const m = this.model;
    const c = this.cells;
    const co = this.co;
    const o = i * this.stride;
    const z = c.soc[i];
    const tK = c.tCellK[i];
    const rs = c.resistanceScale[i];
    co[o + INV_Q] = 1 / (this.capacityAs * c.capacityScale[i]);
    if (co[o + VALID] === 0) this.affineOcv(o, z, tK);
    const dis = o + DIR;
    const chg = dis + this.dirStride;
    co[dis] = m.r0.discharge.at(z, tK) * rs;
    co[chg] = m.r0.isSplit ? m.r0.charge.at(z, tK) * rs : co[dis];
    for (let k = 0; k < this.nRc; k++) {
      const b = m.rc[k];
      const cap = b.c.at(z, tK);
      const rd = b.r.discharge.at(z, tK) * rs;
      const rc = b.r.isSplit ? b.r.charge.at(z, tK) * rs : rd;
      this.branch(dis + 1 + BRANCH * k, rd, cap, dt);
      if (b.r.isSplit) this.branch(chg + 1 + BRANCH * k, rc, cap, dt);
      else co.copyWithin(chg + 1 + BRANCH * k, dis + 1 + BRANCH * k, dis + 1 + BRANCH * (k + 1));
    }
    const hy = m.hysteresis;
    if (hy) {
      co[o + M] = hy.m.at(z, tK);
      co[o + M0] = hy.m0.at(z, tK);
    }
    co[o + VALID] = 1;
    co[o + DT] = dt;
    co[o + STAMP] = this.stepNumber;
  }

  private branch(at: number, r: number, cap: number, dt: number): void {
    const co = this.co;
    const tau = r * cap;
    const a = tau > 0 ? Math.exp(-dt / tau) : 0;
    co[at + B_R] = r;
    co[at + B_A] = a;
    co[at + B_RA] = r * (1 - a);
    co[at + B_W] = tau * (1 - a);
    co[at + B_G] = r > 0 ? (tau * 0.5 * (1 - a * a)) / r : 0;
    co[at + B_INV_R] = r > 0 ? 1 / r : 0;
  }

  /** The exact affine form of OCV(z, T) in the table box containing (z, T), into the block at offset o. */
  private affineOcv(o: number, z: number, tK: number): void {
    const m = this.model;
    const co = this.co;
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
      const ab = this.ab;
      rowAffine(ocv, ra, lo, hi, ab, 0);
      rowAffine(ocv, rb, lo, hi, ab, 2);
      const [a0, a1, b0, b1] = [ab[0], ab[1], ab[2], ab[3]];
      if (ra === rb) {
        co[o + P0] = a0;
        co[o + P1] = a1;
        co[o + P2] = 0;
        co[o + P3] = 0;
      } else {
        // OCV = A + (T − tl)/(th − tl)·(B − A)
        const inv = 1 / (th - tl);
        co[o + P2] = (b0 - a0) * inv;
        co[o + P3] = (b1 - a1) * inv;
        co[o + P0] = a0 - tl * co[o + P2];
        co[o + P1] = a1 - tl * co[o + P3];
      }
      co[o + T_LO] = tl;
      co[o + T_HI] = th;
    } else {
      // 1-D OCV plus (T − Tref)·dU/dT(z): intersect the two tables' SOC segments.
      segment(m.dUdT.soc, z, s);
      lo = Math.max(lo, s[0]);
      hi = Math.min(hi, s[1]);
      const ab = this.ab;
      rowAffine(ocv, 0, lo, hi, ab, 0);
      rowAffine(m.dUdT, 0, lo, hi, ab, 2);
      const u0 = ab[0];
      const u1 = ab[1];
      const d0 = ab[2];
      const d1 = ab[3];
      const tr = m.refTempK;
      co[o + P0] = u0 - tr * d0;
      co[o + P1] = u1 - tr * d1;
      co[o + P2] = d0;
      co[o + P3] = d1;
      co[o + T_LO] = -Infinity;
      co[o + T_HI] = Infinity;
    }
    co[o + Z_LO] = lo;
    co[o + Z_HI] = hi;
  }

  /**
   * Sets emf[i] and resistance[i] so that V = emf + resistance·I at the end of this step (see beginStep), for
   * the model of `mode` (+1 charge, −1 discharge, 0 rest). Arguments are small integers only: a double passed
   * to a function V8 does not inline is boxed on the heap at every call.
   */
  linearize(i: number, mode: number): void {
    this.mode[i] = mode;
    this.linearizeRange(i, i + 1);
  }

  /**
   * linearize for cells lo … hi−1 at once, each with the mode set in mode[i] (one call per group keeps the
   * loop in one optimised function).
   */
  linearizeRange(lo: number, hi: number): void {
    const dt = this.dt;
    const co = this.co;
    const stride = this.stride;
    const dirStride = this.dirStride;
    const nRc = this.nRc;
    const vrc = this.cells.vrc;
    for (let i = lo; i < hi; i++) {
      const mode = this.mode[i];
      const o = i * stride;
      const z = this.soc[i];
      const tK = this.tCellK[i];
      if (
        co[o + VALID] === 0 ||
        co[o + DT] !== dt ||
        (i >= this.refreshLo && i < this.refreshHi && co[o + STAMP] !== this.stepNumber)
      )
        this.refresh(i, dt);
      if (z < co[o + Z_LO] || z > co[o + Z_HI] || tK < co[o + T_LO] || tK > co[o + T_HI])
        this.affineOcv(o, z, tK);
      const invQ = co[o + INV_Q];
      const eta = mode > 0 ? this.eta : 1;
      const zl = z - this.leakA[i] * dt * invQ;
      const slope = co[o + P1] + co[o + P3] * tK;
      let e = co[o + P0] + co[o + P2] * tK + slope * zl;
      const od = o + DIR + (mode > 0 ? dirStride : 0);
      let r = co[od] + slope * eta * dt * invQ;
      for (let k = 0, ok = od + 1; k < nRc; k++, ok += BRANCH) {
        e += co[ok + B_A] * vrc[k][i];
        r += co[ok + B_RA];
      }
      if (this.hasHys) e += co[o + M0] * (mode !== 0 ? mode : this.s[i]) + co[o + M] * this.h[i];
      this.emf[i] = e;
      this.resistance[i] = r;
    }
  }

  /**
   * Applies currentA[i] to cell i over the step with the model chosen by the last linearize(i, …) and leaves
   * the terminal voltage emf + resistance·I in voltageV[i]. Energies are accounted as in CellArray.commit.
   */
  commit(i: number): void {
    this.commitRange(i, i + 1);
  }

  /** commit for cells lo … hi−1 at once. */
  commitRange(lo: number, hi: number): void {
    for (let i = lo; i < hi; i++) {
      const dt = this.dt;
      const currentA = this.currentA[i];
      const co = this.co;
      const o = i * this.stride;
      const mode = this.mode[i];
      const z = this.soc[i];
      const tK = this.tCellK[i];
      const invQ = co[o + INV_Q];
      const leak = this.leakA[i];
      const eta = mode > 0 ? this.eta : 1;
      const zRate = (eta * currentA - leak) * invQ;
      const z1 = z + zRate * dt;
      let jU: number;
      let jD: number;
      if (z1 >= co[o + Z_LO] && z1 <= co[o + Z_HI]) {
        // Affine OCV over the whole step: the time integrals are the midpoint values times dt.
        const zm = 0.5 * (z + z1);
        jD = (co[o + P2] + co[o + P3] * zm) * dt;
        jU = (co[o + P0] + co[o + P1] * zm) * dt + tK * jD;
      } else {
        this.crossingIntegrals(z, z1, tK, zRate);
        jU = this.ab[0];
        jD = this.ab[1];
      }
      const od = o + DIR + (mode > 0 ? this.dirStride : 0);
      const r0 = co[od];
      const i2 = currentA * currentA;
      let elec = currentA * jU + r0 * i2 * dt;
      let heat = r0 * i2 * dt + (1 - eta) * currentA * jU + leak * jU + (eta * currentA - leak) * tK * jD;
      const vrc = this.cells.vrc;
      for (let k = 0, ok = od + 1; k < this.nRc; k++, ok += BRANCH) {
        const a = co[ok + B_A];
        const w = co[ok + B_W];
        const vk = vrc[k];
        const v0 = vk[i];
        const vInf = co[ok + B_R] * currentA;
        const d = v0 - vInf;
        vk[i] = vInf + a * d;
        // Exact integrals of the relaxing branch voltage: ∫v·I dt and ∫v²/R dt over the step.
        elec += currentA * (vInf * dt + d * w);
        heat += (vInf * vInf * dt + 2 * vInf * d * w) * co[ok + B_INV_R] + d * d * co[ok + B_G];
      }
      if (this.hasHys) {
        const h = this.h;
        const h0 = h[i];
        const sgn = currentA > 0 ? 1 : currentA < 0 ? -1 : 0;
        const sNew = mode !== 0 ? mode : this.s[i];
        // h relaxes towards sgn(I) with rate κ: h1 = sgn + (h0 − sgn)·e^(−x), ∫h dt = sgn·dt + (h0 − sgn)·dt·φ(x),
        // x = κ·dt, φ(x) = (1 − e^(−x))/x; a series for small x (no exp, no division).
        const x = eta * Math.abs(currentA) * this.gamma * invQ * dt;
        let phi: number;
        let decay: number;
        if (x < 0.03) {
          phi = 1 - (x / 2) * (1 - (x / 3) * (1 - (x / 4) * (1 - (x / 5) * (1 - (x / 6) * (1 - x / 7)))));
          decay = 1 - x * phi;
        } else {
          decay = Math.exp(-x);
          phi = (1 - decay) / x;
        }
        h[i] = sgn + (h0 - sgn) * decay;
        const hInt = (sgn + (h0 - sgn) * phi) * dt;
        const eHys = currentA * (co[o + M0] * sNew * dt + co[o + M] * hInt);
        elec += eHys;
        heat += eHys;
        this.s[i] = sNew;
      }
      this.soc[i] = z1;
      this.electricalJ[i] += elec;
      this.heatJ[i] += heat;
      this.heatW[i] = heat / dt;
      this.voltageV[i] = this.emf[i] + this.resistance[i] * currentA;
    }
  }

  /** ∫OCV dt and ∫dU/dT dt (into ab[0], ab[1]) for a step that crosses a table breakpoint, exactly. */
  private crossingIntegrals(z: number, z1: number, tK: number, zRate: number): void {
    const m = this.model;
    this.ab[0] = ocvIntegral(m, z, z1, tK) / zRate;
    this.ab[1] =
      (m.ocv.tempK.length > 1
        ? dOcvdT(m, 0.5 * (z + z1), tK) * (z1 - z)
        : m.dUdT.integrateSoc(z, z1, m.refTempK)) / zRate;
  }

  /**
   * Whether a cell linearised in `mode` may carry current I this step. Modes are sticky within a band around
   * zero current: a charge (discharge) model is kept down to −2× (up to +2×) the hysteresis threshold, the
   * rest model up to ±2× the threshold. Without the band, a cell whose circulating current sits near the
   * threshold flips its instantaneous hysteresis sign (an emf jump of 2·M0) back and forth within one step and
   * the group solve never settles. Within the band the cell keeps its previous hysteresis sign and its
   * previous direction's resistance tables, which for such small currents changes its voltage by < R·2·thr.
   */
  accepts(mode: number, currentA: number): boolean {
    const band = 2 * this.thresholdA;
    return mode > 0 ? currentA > -band : mode < 0 ? currentA < band : Math.abs(currentA) <= band;
  }

  /** The mode for a current: +1 / −1 above the hysteresis threshold, else 0. */
  modeOf(currentA: number): number {
    const thr = this.thresholdA;
    return currentA > thr ? 1 : currentA < -thr ? -1 : 0;
  }
}

/** Row j of a table as v = a + b·z over the SOC segment [lo, hi], into out[at], out[at + 1]. */
function rowAffine(t: Table, j: number, lo: number, hi: number, out: Float64Array, at: number): void {
  const s = t.soc;
  const n = s.length;
  const v = t.values;
  const base = j * n;
  if (n === 1 || hi <= s[0]) {
    out[at] = v[base];
    out[at + 1] = 0;
    return;
  }
  if (lo >= s[n - 1]) {
    out[at] = v[base + n - 1];
    out[at + 1] = 0;
    return;
  }
  // [lo, hi] lies inside one axis interval: find it from its midpoint.
  const zm = 0.5 * (lo + hi);
  let a = 0;
  let b = n - 1;
  while (b - a > 1) {
    const mid = (a + b) >> 1;
    if (s[mid] <= zm) a = mid;
    else b = mid;
  }
  const slope = (v[base + a + 1] - v[base + a]) / (s[a + 1] - s[a]);
  out[at] = v[base + a] - slope * s[a];
  out[at + 1] = slope;
}
