/**
 * A fast stepping path for a CellArray (same state arrays, same equations), for packs of thousands of cells.
 *
 * What it caches, per cell, and why the result stays faithful:
 *  - OCV(z, T) as an exact affine-in-z, affine-in-T form p0 + p1·z + T·(p2 + p3·z), valid inside the current
 *    SOC interval of the OCV (and dU/dT) table and the current temperature interval. Inside that box it equals
 *    the table interpolation exactly; leaving the box re-derives it. So OCV, its slope, and the energy integrals
 *    carry no approximation.
 *  - R0, R_k, C_k (hence a_k = exp(−dt/τ_k)) for both current directions (one set when no table depends on
 *    the direction), and M and M0, refreshed every `refreshEvery` steps (a drive cycle flips direction every
 *    few seconds, so both directions are kept). This is the one approximation:
 *    these parameters are taken from a state up to refreshEvery·dt old (a window of cells refreshes each step,
 *    see beginStep). The voltage error of a step is bounded
 *    by |I|·(|∂R/∂z|·Δz + |∂R/∂T|·ΔT) + |∂M/∂z|·Δz + …, where Δz and ΔT are the changes since the refresh
 *    (at 2 C and refreshEvery·dt = 5 s, Δz ≈ 3e-3: well below a millivolt for smooth tables; measured on the
 *    test cell: 4e-5 V at constant temperature, 0.23 mV under a 10 K swing over 30 min, 1.3 mV under an
 *    extreme 10 K swing in 190 s). Tests compare it
 *    with CellArray's exact path.
 *  - The hysteresis decay e^(−κ·dt) and its integral use series for small arguments (truncation below 1e-15).
 * dt must be > 0 (a zero-length step has nothing to integrate).
 *
 * Written for V8: the loops over cells make no calls (a stale cache or a breakpoint crossing stops the loop,
 * is dealt with outside it, and the loop resumes), RC branches are written out rather than looped over, the
 * coefficient offsets are enum literals, and fields are declared, not initialised to undefined, so V8 keeps
 * their types. Each of these was measured (docs/twin.md, Speed).
 *
 * Linearisation is by "mode": +1 charge, −1 discharge, 0 rest (|I| at or below the hysteresis threshold: the
 * instantaneous hysteresis sign is held). `commit` applies the model the linearisation chose, so the terminal
 * voltage it returns is exactly emf + resistance·I, which is what makes parallel current sharing exact.
 */
import { findInterval } from "../math/interp.ts";
import { GAS_CONSTANT, SECONDS_PER_HOUR } from "../units.ts";
import { Slot as H, Dbl as HF, type KernelMemory } from "./kernel.ts";
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

// Layout of one cell's cached coefficients in the packed block (one contiguous run per cell, for locality). An
// enum, so the offsets are literals in the hot loops (esbuild, behind tsx and vite, inlines the members; a
// module-level const would be a context load and a type check at every use).
enum Co {
  DT = 0, // the step length the coefficients were derived for, s (0 after invalidate: refresh first)
  STAMP = 1, // step number of the last refresh (a cell refreshes at most once per step)
  INV_Q = 2, // 1 / capacity, 1/(A·s)
  DT_INV_Q = 3, // dt / capacity: SOC change per ampere over one step
  HYS_RATE = 4, // γ·dt / capacity: hysteresis decay exponent per ampere of η·|I|
  Z_LO = 5,
  Z_HI = 6,
  T_LO = 7,
  T_HI = 8,
  P0 = 9,
  P1 = 10,
  P2 = 11,
  P3 = 12,
  M = 13,
  M0 = 14,
  DIR = 15,
}

// Then per direction (discharge and rest first, charge second; one block serves both when no resistance table
// depends on the direction): R0, R0 + Σ R_k·(1 − a_k), and from BRANCHES on one Br block per RC branch.
enum Dir {
  R0 = 0,
  RSUM = 1,
  BRANCHES = 2,
}

// Per RC branch: R_k, a_k = e^(−dt/τ), τ·(1 − a_k), C_k / 2.
enum Br {
  R = 0,
  A = 1,
  W = 2,
  HALF_C = 3,
  SIZE = 4,
}

export class FastCells {
  declare readonly cells: CellArray;
  declare readonly model: CellModel;
  declare readonly n: number;
  declare readonly nRc: number;
  declare readonly refreshEvery: number;
  /** Hysteresis threshold current, A: at or below it a cell is in mode 0. */
  declare readonly thresholdA: number;
  /** Terminal voltage at the end of the last committed step, V. */
  declare readonly voltageV: Float64Array;
  /** Current of each cell for commit, A (set it before commit(i)). */
  declare readonly currentA: Float64Array;
  /** Length of the current step, s (set by beginStep; NaN, a double, keeps V8's field a double). */
  private dt = Number.NaN;
  /** The cell whose breakpoint-crossing integrals are in ab[0], ab[1] for commitCells (−1: none). */
  private crossingCell = -1;
  /** The committed cell at which commitCells stopped for work on its cache before linearising it ahead (−1: none). */
  private committedAt = -1;
  // The parameter tables on the R0 table's axes, and where the refresh in progress falls on them (see probe).
  declare private readonly axisSoc: Float64Array;
  declare private readonly axisT: Float64Array;
  private readonly onAxes = new Set<Table>();
  private probeZ = Number.NaN;
  private probeT = Number.NaN;
  private probeHeld = false;
  private probeIz = 0;
  private probeWz = Number.NaN;
  private probeTInside = false;
  private probeJt = 0;
  private probeWt = Number.NaN;
  private probeEdgeK = Number.NaN;
  /** The value param found. */
  private value = Number.NaN;
  /** Σ conductance and Σ conductance·emf of the cells of the last linearizeGroup or linearizeAheadGroup. */
  groupG = Number.NaN;
  groupEG = Number.NaN;
  /**
   * Counts invalidations: a linearisation made ahead (linearizeAheadGroup) holds only while this is unchanged
   * (and nothing else wrote the cells' state).
   */
  invalidations = 0;
  // The inputs of the group linearisation in progress (see linearizeGroup).
  private groupDeltaA = Number.NaN;
  /** Half-width of the band a cell keeps its mode in (Infinity when linearising ahead: every cell keeps it). */
  private groupBand = Number.NaN;
  private groupSeriesOhm: Float64Array = new Float64Array(0);
  private groupDisconnected: Uint8Array = new Uint8Array(0);
  private groupConductance: Float64Array = new Float64Array(0);
  // The group arrays the kernel's header points at (set again only when a caller passes others).
  private pointedSeriesOhm: Float64Array | null = null;
  private pointedDisconnected: Uint8Array | null = null;
  private pointedConductance: Float64Array | null = null;

  declare private readonly stride: number;
  /** Offset of the charge block from the discharge block: 0 when they are one (no direction-dependent table). */
  declare private readonly dirStride: number;
  declare private readonly split: boolean;
  /** Cells [refreshLo, refreshHi) refresh their coefficients this step (a window rolling over the array). */
  private refreshLo = 0;
  private refreshHi = 0;
  private stepCount = 0;
  private stepNumber = 0;
  // The refresh window and stamp of the linearisation in progress: this step's, or the next one's when ahead.
  private windowLo = 0;
  private windowHi = 0;
  private windowStamp = 0;
  declare private readonly co: Float64Array;
  /** Mode of each cell for this step (what linearizeRange uses and commit applies): +1, −1 or 0. */
  declare readonly mode: Int8Array;
  private readonly seg = new Float64Array(2);
  private readonly ab = new Float64Array(4);
  declare private readonly hasHys: boolean;
  declare private readonly gamma: number;
  declare private readonly eta: number;
  declare private readonly capacityAs: number;
  // The CellArray's state arrays, held directly (one property load fewer per access in the hot path).
  declare private readonly soc: Float64Array;
  declare private readonly tCellK: Float64Array;
  declare private readonly tCaseK: Float64Array;
  // The cell core's heat capacity, J/K, and conductance to its case, W/K (the core step of commitAheadGroup).
  declare private readonly coreHeatCapacity: number;
  declare private readonly coreToCaseWperK: number;
  declare private readonly leakA: Float64Array;
  declare private readonly h: Float64Array;
  declare private readonly s: Float64Array;
  // RC branch voltages one array per branch (an absent branch gets an empty array it never touches): the
  // branches are written out in the hot loops, as an inner loop keeps V8 from optimising the loop over cells.
  declare private readonly v0: Float64Array;
  declare private readonly v1: Float64Array;
  declare private readonly v2: Float64Array;
  declare private readonly v3: Float64Array;
  declare private readonly emf: Float64Array;
  declare private readonly resistance: Float64Array;
  declare private readonly electricalJ: Float64Array;
  declare private readonly heatJ: Float64Array;
  declare private readonly heatW: Float64Array;

  /** The WebAssembly kernel that runs the loops over cells, or null (the JavaScript loops). */
  declare private readonly kernel: KernelMemory | null;

  /**
   * With `kernel`, the loops over cells run in its WebAssembly instance: the cells' state arrays must then lie
   * in its memory (see CellArray's alloc), and this allocates its own arrays there too.
   */
  constructor(cells: CellArray, refreshEvery = 10, kernel: KernelMemory | null = null) {
    this.cells = cells;
    this.kernel = kernel;
    this.model = cells.model;
    this.n = cells.n;
    this.nRc = cells.nRc;
    if (!(Number.isInteger(refreshEvery) && refreshEvery >= 1))
      throw new Error(`refreshEvery: got ${refreshEvery}, expected an integer >= 1`);
    this.refreshEvery = refreshEvery;
    // Its loops write the RC branches out (v0 … v3), as many as a parameter set may have.
    if (this.nRc > 4)
      throw new Error(
        `${cells.model.name}: ${this.nRc} RC pairs, but the pack twin's fast path handles at most 4 (expected a set with 0 to 4)`,
      );
    const block = Dir.BRANCHES + Br.SIZE * this.nRc;
    this.split = cells.model.r0.isSplit || cells.model.rc.some((b) => b.r.isSplit);
    this.dirStride = this.split ? block : 0;
    this.stride = Co.DIR + (this.split ? 2 : 1) * block;
    this.co = kernel ? kernel.f64(this.n * this.stride) : new Float64Array(this.n * this.stride);
    this.mode = kernel ? kernel.i8(this.n) : new Int8Array(this.n);
    this.voltageV = kernel ? kernel.f64(this.n) : new Float64Array(this.n);
    this.currentA = kernel ? kernel.f64(this.n) : new Float64Array(this.n);
    this.hasHys = this.model.hysteresis !== null;
    this.gamma = this.model.hysteresis?.gamma ?? 0;
    this.eta = this.model.coulombicEfficiency;
    this.thresholdA = this.model.hysteresis?.thresholdA ?? this.model.capacityAh / 100;
    this.capacityAs = SECONDS_PER_HOUR * this.model.capacityAh;
    this.soc = cells.soc;
    this.tCellK = cells.tCellK;
    this.tCaseK = cells.tCaseK;
    this.coreHeatCapacity = this.model.thermal.cellHeatCapacityJperK;
    this.coreToCaseWperK = this.model.thermal.cellToCaseWperK;
    this.leakA = cells.leakA;
    this.h = cells.h;
    this.s = cells.s;
    // A current axis makes R depend on |I| (CellArray takes it at the previous step's current); the fast path
    // caches R between refreshes and has no such lag, so it refuses the set rather than ignore the axis.
    const scaledRc = cells.model.rc.findIndex((b) => b.rCurrentScale);
    const axis = cells.model.r0CurrentScale
      ? "r0CurrentScale"
      : scaledRc >= 0
        ? `rc[${scaledRc}].rCurrentScale`
        : null;
    if (axis)
      throw new Error(
        `${cells.model.name}: ${axis} is set, but the pack twin's fast path does not model a current axis (expected a set without one)`,
      );
    this.v0 = cells.vrc[0] ?? new Float64Array(0);
    this.v1 = cells.vrc[1] ?? new Float64Array(0);
    this.v2 = cells.vrc[2] ?? new Float64Array(0);
    this.v3 = cells.vrc[3] ?? new Float64Array(0);
    this.emf = cells.emf;
    this.resistance = cells.resistance;
    this.electricalJ = cells.electricalJ;
    this.heatJ = cells.heatJ;
    this.heatW = cells.heatW;
    const m = this.model;
    this.axisSoc = m.r0.discharge.soc;
    this.axisT = m.r0.discharge.tempK;
    const tables = [m.r0.discharge, m.r0.charge];
    for (const b of m.rc) tables.push(b.r.discharge, b.r.charge, b.c);
    if (m.hysteresis) tables.push(m.hysteresis.m, m.hysteresis.m0);
    for (const t of tables)
      if (sameValues(t.soc, this.axisSoc) && sameValues(t.tempK, this.axisT)) this.onAxes.add(t);
    this.invalidateAll();
    if (kernel) this.bindKernel(kernel);
  }

  /** Writes the pointers and constants of the kernel's header (see assembly/kernel.ts). */
  private bindKernel(k: KernelMemory): void {
    const arrays: [number, ArrayBufferView][] = [
      [H.CO, this.co],
      [H.MODE, this.mode],
      [H.CURRENT, this.currentA],
      [H.SOC, this.soc],
      [H.T_CELL, this.tCellK],
      [H.T_CASE, this.tCaseK],
      [H.LEAK, this.leakA],
      [H.HYS, this.h],
      [H.SIGN, this.s],
      [H.V0, this.v0],
      [H.V1, this.v1],
      [H.V2, this.v2],
      [H.V3, this.v3],
      [H.EMF, this.emf],
      [H.RESISTANCE, this.resistance],
      [H.ELECTRICAL_J, this.electricalJ],
      [H.HEAT_J, this.heatJ],
      [H.HEAT_W, this.heatW],
      [H.VOLTAGE, this.voltageV],
    ];
    for (const [slot, view] of arrays) if (view.byteLength > 0) k.point(slot, view);
    const hi = k.headerI32;
    hi[H.STRIDE] = this.stride;
    hi[H.DIR_STRIDE] = this.dirStride;
    hi[H.N_RC] = this.nRc;
    hi[H.HAS_HYS] = this.hasHys ? 1 : 0;
    const hf = k.headerF64;
    hf[HF.GAMMA] = this.gamma;
    hf[HF.ETA] = this.eta;
    hf[HF.CORE_C] = this.coreHeatCapacity;
    hf[HF.CORE_G] = this.coreToCaseWperK;
  }

  /** commitCells in the kernel: the header takes this call's inputs and returns its outputs. */
  private commitCellsKernel(k: KernelMemory, from: number, hi: number, ahead: boolean): number {
    const h = k.headerI32;
    const f = k.headerF64;
    if (this.groupSeriesOhm !== this.pointedSeriesOhm) {
      k.point(H.SERIES, this.groupSeriesOhm);
      this.pointedSeriesOhm = this.groupSeriesOhm;
    }
    if (this.groupDisconnected !== this.pointedDisconnected) {
      k.point(H.DISCONNECTED, this.groupDisconnected);
      this.pointedDisconnected = this.groupDisconnected;
    }
    if (this.groupConductance !== this.pointedConductance) {
      k.point(H.CONDUCTANCE, this.groupConductance);
      this.pointedConductance = this.groupConductance;
    }
    h[H.WINDOW_LO] = this.windowLo;
    h[H.WINDOW_HI] = this.windowHi;
    h[H.CROSSING] = this.crossingCell;
    f[HF.DT] = this.dt;
    f[HF.STAMP] = this.windowStamp;
    f[HF.G] = this.groupG;
    f[HF.EG] = this.groupEG;
    f[HF.CROSS_U] = this.ab[0];
    f[HF.CROSS_D] = this.ab[1];
    h[H.COMMITTED] = -1;
    const at = k.exports.commitCells(from, hi, ahead ? 1 : 0);
    this.groupG = f[HF.G];
    this.groupEG = f[HF.EG];
    if (ahead && at < hi && h[H.COMMITTED] === at) this.committedAt = at;
    return at;
  }

  /**
   * Call once per step of the whole array with the step length: moves the refresh window on, so that every cell refreshes once in
   * `refreshEvery` steps (a cell that is never linearised in a step with the window on it keeps its cache
   * longer; a direction change or leaving its OCV box always refreshes it).
   */
  beginStep(dt: number): void {
    if (!(dt > 0)) throw new Error(`step length: got ${dt} s, expected a time > 0`);
    // Every cached coefficient holds for one dt: a new dt makes all of them stale.
    if (dt !== this.dt) this.invalidateAll();
    this.dt = dt;
    const per = Math.ceil(this.n / this.refreshEvery);
    this.refreshLo = this.stepCount * per;
    this.refreshHi = this.refreshLo + per;
    this.stepCount = (this.stepCount + 1) % this.refreshEvery;
    this.stepNumber++;
  }

  /** Forgets cell i's cached coefficients (call after changing its capacityScale or resistanceScale). */
  invalidate(i: number): void {
    this.invalidations++;
    const o = i * this.stride;
    this.co[o + Co.DT] = 0;
    // An empty OCV box: the next linearisation re-derives it.
    this.co[o + Co.Z_LO] = Infinity;
    this.co[o + Co.Z_HI] = -Infinity;
  }

  invalidateAll(): void {
    for (let i = 0; i < this.n; i++) this.invalidate(i);
  }

  /** Re-derives cell i's cached resistances, capacitances and hysteresis magnitudes at its present state. */
  private refresh(i: number, stamp: number): void {
    const dt = this.dt;
    const m = this.model;
    const c = this.cells;
    const co = this.co;
    const o = i * this.stride;
    this.probe(i);
    const rs = c.resistanceScale[i];
    const invQ = 1 / (this.capacityAs * c.capacityScale[i]);
    co[o + Co.INV_Q] = invQ;
    co[o + Co.DT_INV_Q] = dt * invQ;
    co[o + Co.HYS_RATE] = this.gamma * dt * invQ;
    const dis = o + Co.DIR;
    const chg = dis + this.dirStride;
    const split = this.split;
    this.param(m.r0.discharge);
    co[dis + Dir.R0] = this.value * rs;
    if (split) {
      if (m.r0.isSplit) this.param(m.r0.charge);
      co[chg + Dir.R0] = this.value * rs;
    }
    for (let k = 0; k < this.nRc; k++) {
      const b = m.rc[k];
      this.param(b.c);
      const cap = this.value;
      this.param(b.r.discharge);
      const at = Dir.BRANCHES + Br.SIZE * k;
      this.branch(dis + at, this.value * rs, cap, dt);
      if (!split) continue;
      if (b.r.isSplit) {
        this.param(b.r.charge);
        this.branch(chg + at, this.value * rs, cap, dt);
      } else for (let b = 0; b < Br.SIZE; b++) co[chg + at + b] = co[dis + at + b];
    }
    co[dis + Dir.RSUM] = this.stepResistance(dis);
    if (split) co[chg + Dir.RSUM] = this.stepResistance(chg);
    const hy = m.hysteresis;
    if (hy) {
      this.param(hy.m);
      co[o + Co.M] = this.value;
      this.param(hy.m0);
      co[o + Co.M0] = this.value;
    }
    co[o + Co.DT] = dt;
    co[o + Co.STAMP] = stamp;
  }

  /**
   * Finds where (z, T) falls on the axes most parameter tables share (the R0 table's): what Table.at finds for
   * each table, found once per refresh. param then evaluates any table as Table.at does.
   */
  private probe(i: number): void {
    const z = this.soc[i];
    const tK = this.tCellK[i];
    this.probeZ = z;
    this.probeT = tK;
    const s = this.axisSoc;
    const n = s.length;
    if (n === 1 || z <= s[0]) {
      this.probeHeld = true;
      this.probeIz = 0;
    } else if (z >= s[n - 1]) {
      this.probeHeld = true;
      this.probeIz = n - 1;
    } else {
      const iz = findInterval(s, z);
      this.probeHeld = false;
      this.probeIz = iz;
      this.probeWz = (z - s[iz]) / (s[iz + 1] - s[iz]);
    }
    const ts = this.axisT;
    const nT = ts.length;
    if (nT === 1 || tK <= ts[0]) {
      this.probeTInside = false;
      this.probeJt = 0;
      this.probeEdgeK = ts[0];
    } else if (tK >= ts[nT - 1]) {
      this.probeTInside = false;
      this.probeJt = nT - 1;
      this.probeEdgeK = ts[nT - 1];
    } else {
      const j = findInterval(ts, tK);
      this.probeTInside = true;
      this.probeJt = j;
      this.probeWt = (tK - ts[j]) / (ts[j + 1] - ts[j]);
    }
  }

  /**
   * Table t at the probed (z, T), the same arithmetic as Table.at without its searches, into `value` (a field,
   * not a return value: a double returned from a call V8 does not inline is boxed on the heap).
   */
  private param(t: Table): void {
    const tK = this.probeT;
    if (t.soc.length === 1 && t.tempK.length === 1) {
      // A constant (in the set's file a single number): Table.at is its value times the Arrhenius factor.
      const edgeK = t.tempK[0];
      const ea = t.arrheniusEa;
      this.value =
        ea === 0 || tK === edgeK
          ? t.values[0]
          : t.values[0] * Math.exp((ea / GAS_CONSTANT) * (1 / tK - 1 / edgeK));
      return;
    }
    if (!this.onAxes.has(t)) {
      this.value = t.at(this.probeZ, tK);
      return;
    }
    const v = t.values;
    const j = this.probeJt;
    if (this.probeTInside) {
      if (t.tempInterpolation !== "linear") {
        // ln value linear in 1/T: the table's own blend, so the bits are Table.at's.
        this.value = t.betweenRows(this.probeRow(v, j), this.probeRow(v, j + 1), j, tK);
        return;
      }
      const w = this.probeWt;
      this.value = (1 - w) * this.probeRow(v, j) + w * this.probeRow(v, j + 1);
      return;
    }
    const ea = t.arrheniusEa;
    const edgeK = this.probeEdgeK;
    this.value =
      ea === 0 || tK === edgeK
        ? this.probeRow(v, j)
        : this.probeRow(v, j) * Math.exp((ea / GAS_CONSTANT) * (1 / tK - 1 / edgeK));
  }

  /** Row j of a table on the shared axes at the probed SOC (held outside the SOC axis). */
  private probeRow(v: Float64Array, j: number): number {
    const at = j * this.axisSoc.length + this.probeIz;
    if (this.probeHeld) return v[at];
    return v[at] + this.probeWz * (v[at + 1] - v[at]);
  }

  /** R0 + Σ R_k·(1 − a_k) of the direction block at d: the step's resistance without the OCV slope term. */
  private stepResistance(d: number): number {
    const co = this.co;
    let r = co[d + Dir.R0];
    for (let k = 0, b = d + Dir.BRANCHES; k < this.nRc; k++, b += Br.SIZE)
      r += co[b + Br.R] * (1 - co[b + Br.A]);
    return r;
  }

  private branch(at: number, r: number, cap: number, dt: number): void {
    const co = this.co;
    const tau = r * cap;
    const a = tau > 0 ? Math.exp(-dt / tau) : 0;
    co[at + Br.R] = r;
    co[at + Br.A] = a;
    co[at + Br.W] = tau * (1 - a);
    co[at + Br.HALF_C] = 0.5 * cap;
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
        co[o + Co.P0] = a0;
        co[o + Co.P1] = a1;
        co[o + Co.P2] = 0;
        co[o + Co.P3] = 0;
      } else {
        // OCV = A + (T − tl)/(th − tl)·(B − A)
        const inv = 1 / (th - tl);
        co[o + Co.P2] = (b0 - a0) * inv;
        co[o + Co.P3] = (b1 - a1) * inv;
        co[o + Co.P0] = a0 - tl * co[o + Co.P2];
        co[o + Co.P1] = a1 - tl * co[o + Co.P3];
      }
      co[o + Co.T_LO] = tl;
      co[o + Co.T_HI] = th;
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
      co[o + Co.P0] = u0 - tr * d0;
      co[o + Co.P1] = u1 - tr * d1;
      co[o + Co.P2] = d0;
      co[o + Co.P3] = d1;
      co[o + Co.T_LO] = -Infinity;
      co[o + Co.T_HI] = Infinity;
    }
    co[o + Co.Z_LO] = lo;
    co[o + Co.Z_HI] = hi;
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
    this.linearizeCellsFrom(lo, hi, false, false);
  }

  /**
   * Linearises cells lo … hi−1 that share one bus, each through its series resistance seriesOhm[i] (a parallel
   * group), choosing each cell's mode from its last current plus deltaA (the expected change): the last mode
   * while that current stays in its band (see accepts), else modeOf. A cell with disconnected[i] ≠ 0 rests and
   * conducts nothing. Leaves conductance[i] = 1/(resistance + seriesOhm[i]) (0 when disconnected) and the
   * group's Σ conductance and Σ conductance·emf in groupG and groupEG, so the bus is V = (I + groupEG) / groupG.
   */
  linearizeGroup(
    lo: number,
    hi: number,
    deltaA: number,
    seriesOhm: Float64Array,
    disconnected: Uint8Array,
    conductance: Float64Array,
  ): void {
    this.groupDeltaA = deltaA;
    this.groupSeriesOhm = seriesOhm;
    this.groupDisconnected = disconnected;
    this.groupConductance = conductance;
    this.groupBand = 2 * this.thresholdA;
    this.groupG = 0;
    this.groupEG = 0;
    this.linearizeCellsFrom(lo, hi, true, false);
  }

  /**
   * Commits cells lo … hi−1 of one parallel group (as commitRange), steps each one's core temperature against
   * its case (the implicit core node of the pack's thermal network: C_core·(T1 − T0) = dt·(G·(T_case − T1) +
   * heat), with the case temperature at the start of the step, so the core needs no other cell), and then, in
   * the same pass while the cell's data is in registers, linearises it for the NEXT step of the same dt: one
   * pass over the cells per step instead of two. Each cell keeps its mode (0 when disconnected): that is the
   * mode linearizeGroup would choose next step as long as every cell's current plus the expected change stays in
   * its mode's band (see accepts); if not, linearise the group again with linearizeGroup. Leaves conductance,
   * groupG and groupEG as linearizeGroup does. The linearisation holds only while nothing writes the cells'
   * state, parameters, seriesOhm or disconnected in between, no cell is invalidated (see invalidations) and the
   * next step has the same dt.
   */
  commitAheadGroup(
    lo: number,
    hi: number,
    seriesOhm: Float64Array,
    disconnected: Uint8Array,
    conductance: Float64Array,
  ): void {
    this.groupDeltaA = 0;
    this.groupSeriesOhm = seriesOhm;
    this.groupDisconnected = disconnected;
    this.groupConductance = conductance;
    this.groupBand = Infinity;
    this.groupG = 0;
    this.groupEG = 0;
    this.setWindow(true);
    // The loop stops at a cell that crosses an OCV breakpoint (before committing it) and at a committed cell
    // whose cache needs work for the next step (refresh window, OCV box): both are done here, outside it.
    for (let i = this.commitCells(lo, hi, true); i < hi; i = this.commitCells(i, hi, true)) {
      if (this.committedAt === i) {
        this.linearizeCellsFrom(i, i + 1, true, true);
        this.committedAt = -1;
        i++;
        if (i === hi) break;
        continue;
      }
      this.crossingAt(i);
    }
    this.crossingCell = -1;
  }

  /** Sets the refresh window and stamp of the linearisation to come: this step's, or the next one's (ahead). */
  private setWindow(ahead: boolean): void {
    if (ahead) {
      // The window beginStep will set for the next step.
      const per = Math.ceil(this.n / this.refreshEvery);
      this.windowLo = this.stepCount * per;
      this.windowHi = this.windowLo + per;
      this.windowStamp = this.stepNumber + 1;
    } else {
      this.windowLo = this.refreshLo;
      this.windowHi = this.refreshHi;
      this.windowStamp = this.stepNumber;
    }
  }

  /** Linearises cells lo … hi−1, adding to groupG and groupEG (see linearizeCells). */
  private linearizeCellsFrom(lo: number, hi: number, group: boolean, ahead: boolean): void {
    this.setWindow(ahead);
    // The loop stops at each cell whose cache needs work, which is done here, outside it.
    for (let i = this.linearizeCells(lo, hi, group); i < hi; i = this.linearizeCells(i, hi, group)) {
      const dt = this.dt;
      const co = this.co;
      const o = i * this.stride;
      const stamp = this.windowStamp;
      const inWindow = i >= this.windowLo && i < this.windowHi;
      if (co[o + Co.DT] !== dt || (inWindow && co[o + Co.STAMP] !== stamp)) this.refresh(i, stamp);
      const z = this.soc[i];
      const tK = this.tCellK[i];
      if (z < co[o + Co.Z_LO] || z > co[o + Co.Z_HI] || tK < co[o + Co.T_LO] || tK > co[o + Co.T_HI])
        this.affineOcv(o, z, tK);
    }
  }

  /**
   * The linearisation loop of linearizeRange, from cell `from`: returns hi, or the first cell whose cache is
   * stale (due for its refresh, or derived for another dt) or whose OCV box it has left. No calls inside: a
   * call, even one never taken, makes V8 re-check every array's type and bounds on every pass of the loop.
   */
  private linearizeCells(from: number, hi: number, group: boolean): number {
    const co = this.co;
    const stride = this.stride;
    const dirStride = this.dirStride;
    const nRc = this.nRc;
    const etaCharge = this.eta;
    const v0 = this.v0;
    const v1 = this.v1;
    const v2 = this.v2;
    const v3 = this.v3;
    const modes = this.mode;
    const soc = this.soc;
    const tCellK = this.tCellK;
    const leakA = this.leakA;
    const emf = this.emf;
    const resistance = this.resistance;
    const hasHys = this.hasHys;
    const hys = this.h;
    const sign = this.s;
    const refreshLo = this.windowLo;
    const refreshHi = this.windowHi;
    const stamp = this.windowStamp;
    // Group linearisation (see linearizeGroup).
    const current = this.currentA;
    const deltaA = this.groupDeltaA;
    const seriesOhm = this.groupSeriesOhm;
    const disconnected = this.groupDisconnected;
    const conductance = this.groupConductance;
    const band = this.groupBand;
    const threshold = this.thresholdA;
    // Running sums and extremes carried across the stops, so they do not depend on where the loop stopped.
    let sumG = this.groupG;
    let sumEG = this.groupEG;
    for (let i = from; i < hi; i++) {
      const o = i * stride;
      const z = soc[i];
      const tK = tCellK[i];
      // A stale cache (invalidated, or derived for another dt) has an empty OCV box, so one test covers both.
      if (
        (i >= refreshLo && i < refreshHi && co[o + Co.STAMP] !== stamp) ||
        z < co[o + Co.Z_LO] ||
        z > co[o + Co.Z_HI] ||
        tK < co[o + Co.T_LO] ||
        tK > co[o + Co.T_HI]
      ) {
        this.groupG = sumG;
        this.groupEG = sumEG;
        return i;
      }
      let mode = modes[i];
      let open = false;
      if (group) {
        // accepts and modeOf, written out.
        const predicted = current[i] + deltaA;
        const keep = mode > 0 ? predicted > -band : mode < 0 ? predicted < band : Math.abs(predicted) <= band;
        open = disconnected[i] !== 0;
        mode = open ? 0 : keep ? mode : predicted > threshold ? 1 : predicted < -threshold ? -1 : 0;
        modes[i] = mode;
      }
      const od = mode > 0 ? o + Co.DIR + dirStride : o + Co.DIR;
      const slope = co[o + Co.P1] + co[o + Co.P3] * tK;
      let e = co[o + Co.P0] + co[o + Co.P2] * tK + slope * (z - leakA[i] * co[o + Co.DT_INV_Q]);
      if (nRc > 0) {
        e += co[od + Dir.BRANCHES + Br.A] * v0[i];
        if (nRc > 1) {
          e += co[od + Dir.BRANCHES + Br.SIZE + Br.A] * v1[i];
          if (nRc > 2) {
            e += co[od + Dir.BRANCHES + 2 * Br.SIZE + Br.A] * v2[i];
            if (nRc > 3) e += co[od + Dir.BRANCHES + 3 * Br.SIZE + Br.A] * v3[i];
          }
        }
      }
      if (hasHys) e += co[o + Co.M0] * (mode !== 0 ? mode : sign[i]) + co[o + Co.M] * hys[i];
      // The OCV slope over the step's SOC change per ampere (η·dt / capacity; η on charge only).
      const r = co[od + Dir.RSUM] + slope * ((mode > 0 ? etaCharge : 1) * co[o + Co.DT_INV_Q]);
      emf[i] = e;
      resistance[i] = r;
      if (group) {
        const g = open ? 0 : 1 / (r + seriesOhm[i]);
        conductance[i] = g;
        sumG += g;
        sumEG += e * g;
      }
    }
    this.groupG = sumG;
    this.groupEG = sumEG;
    return hi;
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
    // The loop stops at each cell whose SOC crosses an OCV breakpoint in this step; its exact integrals are
    // computed here, outside the loop, which then takes them for that cell.
    for (let i = this.commitCells(lo, hi, false); i < hi; i = this.commitCells(i, hi, false))
      this.crossingAt(i);
    this.crossingCell = -1;
  }

  /** Computes the exact integrals of cell i's step, which crosses an OCV breakpoint, for commitCells. */
  private crossingAt(i: number): void {
    const eta = this.mode[i] > 0 ? this.eta : 1;
    const zRate = (eta * this.currentA[i] - this.leakA[i]) * this.co[i * this.stride + Co.INV_Q];
    const z = this.soc[i];
    this.crossingIntegrals(z, z + zRate * this.dt, this.tCellK[i], zRate);
    this.crossingCell = i;
  }

  /**
   * The commit loop of commitRange, from cell `from`: returns hi, or the first cell that crosses a breakpoint.
   * With `ahead` (commitAheadGroup) it also steps the core temperature and linearises the cell for the next
   * step, and returns a committed cell whose cache needs work first, with committedAt set to it.
   */
  private commitCells(from: number, hi: number, ahead: boolean): number {
    if (this.kernel) return this.commitCellsKernel(this.kernel, from, hi, ahead);
    const dt = this.dt;
    const invDt = 1 / dt;
    // HYS_RATE and DT_INV_Q as refresh derives them (the cache is for this dt), computed rather than loaded.
    const gammaDt = this.gamma * dt;
    const co = this.co;
    const stride = this.stride;
    const dirStride = this.dirStride;
    const nRc = this.nRc;
    const v0 = this.v0;
    const v1 = this.v1;
    const v2 = this.v2;
    const v3 = this.v3;
    const etaCharge = this.eta;
    const modes = this.mode;
    const current = this.currentA;
    const soc = this.soc;
    const tCellK = this.tCellK;
    const leakA = this.leakA;
    const hasHys = this.hasHys;
    const hys = this.h;
    const sign = this.s;
    const electricalJ = this.electricalJ;
    const heatJ = this.heatJ;
    const heatW = this.heatW;
    const voltageV = this.voltageV;
    const emf = this.emf;
    const resistance = this.resistance;
    const crossingCell = this.crossingCell;
    const crossing = this.ab;
    // The core temperature's implicit step (see commitAheadGroup).
    const tCaseK = this.tCaseK;
    const coreC = this.coreHeatCapacity;
    const coreG = this.coreToCaseWperK;
    const invCore = 1 / (coreC + dt * coreG);
    // The linearisation ahead (see linearizeCells, group and ahead).
    const windowLo = this.windowLo;
    const windowHi = this.windowHi;
    const stamp = this.windowStamp;
    const seriesOhm = this.groupSeriesOhm;
    const disconnected = this.groupDisconnected;
    const conductance = this.groupConductance;
    let sumG = this.groupG;
    let sumEG = this.groupEG;
    for (let i = from; i < hi; i++) {
      const currentA = current[i];
      const o = i * stride;
      const mode = modes[i];
      const charging = mode > 0;
      const od = charging ? o + Co.DIR + dirStride : o + Co.DIR;
      const eta = charging ? etaCharge : 1;
      const z = soc[i];
      const tK = tCellK[i];
      const leak = leakA[i];
      // The coefficients both the commit and the linearisation ahead use, loaded once: V8 does not reuse a
      // typed-array load across the stores in between (the arrays could share a buffer).
      const invQ = co[o + Co.INV_Q];
      const zLo = co[o + Co.Z_LO];
      const zHi = co[o + Co.Z_HI];
      const p0 = co[o + Co.P0];
      const p1 = co[o + Co.P1];
      const p2 = co[o + Co.P2];
      const p3 = co[o + Co.P3];
      const netA = eta * currentA - leak;
      const zRate = netA * invQ;
      const z1 = z + zRate * dt;
      let jU: number;
      let jD: number;
      if (z1 >= zLo && z1 <= zHi) {
        // Affine OCV over the whole step: the time integrals are the midpoint values times dt.
        const zm = 0.5 * (z + z1);
        jD = (p2 + p3 * zm) * dt;
        jU = (p0 + p1 * zm) * dt + tK * jD;
      } else if (i === crossingCell) {
        jU = crossing[0];
        jD = crossing[1];
      } else {
        this.groupG = sumG;
        this.groupEG = sumEG;
        return i;
      }
      const ohmicJ = co[od + Dir.R0] * currentA * currentA * dt;
      let elec = currentA * jU + ohmicJ;
      let heat = ohmicJ + ((1 - eta) * currentA + leak) * jU + netA * tK * jD;
      // What the linearisation ahead needs of the new state.
      let v0New = 0;
      let v1New = 0;
      let v2New = 0;
      let v3New = 0;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let sNew = 0;
      let hNew = 0;
      let hysM = 0;
      let hysM0 = 0;
      // Each RC branch relaxes exactly. Its energy in over the step is ∫v·I dt, exactly; what it does not store
      // in its capacitor (½·C·v²) is its heat ∫v²/R dt (C·dv/dt = I − v/R, so v·I − v²/R = d(½·C·v²)/dt).
      if (nRc > 0) {
        const b = od + Dir.BRANCHES;
        const vOld = v0[i];
        const vInf = co[b + Br.R] * currentA;
        const d = vOld - vInf;
        a0 = co[b + Br.A];
        const vNew = vInf + a0 * d;
        v0[i] = vNew;
        v0New = vNew;
        const branchJ = currentA * (vInf * dt + d * co[b + Br.W]);
        elec += branchJ;
        heat += branchJ - co[b + Br.HALF_C] * (vNew - vOld) * (vNew + vOld);
        if (nRc > 1) {
          const b = od + Dir.BRANCHES + Br.SIZE;
          const vOld = v1[i];
          const vInf = co[b + Br.R] * currentA;
          const d = vOld - vInf;
          a1 = co[b + Br.A];
          const vNew = vInf + a1 * d;
          v1[i] = vNew;
          v1New = vNew;
          const branchJ = currentA * (vInf * dt + d * co[b + Br.W]);
          elec += branchJ;
          heat += branchJ - co[b + Br.HALF_C] * (vNew - vOld) * (vNew + vOld);
          if (nRc > 2) {
            const b = od + Dir.BRANCHES + 2 * Br.SIZE;
            const vOld = v2[i];
            const vInf = co[b + Br.R] * currentA;
            const d = vOld - vInf;
            a2 = co[b + Br.A];
            const vNew = vInf + a2 * d;
            v2[i] = vNew;
            v2New = vNew;
            const branchJ = currentA * (vInf * dt + d * co[b + Br.W]);
            elec += branchJ;
            heat += branchJ - co[b + Br.HALF_C] * (vNew - vOld) * (vNew + vOld);
            if (nRc > 3) {
              const b = od + Dir.BRANCHES + 3 * Br.SIZE;
              const vOld = v3[i];
              const vInf = co[b + Br.R] * currentA;
              const d = vOld - vInf;
              a3 = co[b + Br.A];
              const vNew = vInf + a3 * d;
              v3[i] = vNew;
              v3New = vNew;
              const branchJ = currentA * (vInf * dt + d * co[b + Br.W]);
              elec += branchJ;
              heat += branchJ - co[b + Br.HALF_C] * (vNew - vOld) * (vNew + vOld);
            }
          }
        }
      }
      if (hasHys) {
        const sgn = currentA > 0 ? 1 : currentA < 0 ? -1 : 0;
        // The instantaneous sign follows the mode, and is held at rest.
        sNew = mode;
        if (mode !== 0) sign[i] = mode;
        else sNew = sign[i];
        // h relaxes towards sgn(I) with rate κ: h1 = sgn + (h0 − sgn)·e^(−x), ∫h dt = sgn·dt + (h0 − sgn)·dt·φ(x),
        // x = κ·dt, φ(x) = (1 − e^(−x))/x; for small x its Taylor series to x⁶ (truncation below 1e-15; no exp,
        // no division), in Estrin's form: a short chain of dependent operations.
        const x = eta * Math.abs(currentA) * (gammaDt * invQ);
        hysM = co[o + Co.M];
        hysM0 = co[o + Co.M0];
        let phi: number;
        let decay: number;
        if (x < 0.03) {
          const x2 = x * x;
          phi =
            1 - 0.5 * x + x2 * (1 / 6 - (1 / 24) * x) + x2 * x2 * (1 / 120 - (1 / 720) * x + (1 / 5040) * x2);
          decay = 1 - x * phi;
        } else {
          decay = Math.exp(-x);
          phi = (1 - decay) / x;
        }
        const d = hys[i] - sgn;
        hNew = sgn + d * decay;
        hys[i] = hNew;
        const eHys = currentA * (hysM0 * sNew + hysM * (sgn + d * phi)) * dt;
        elec += eHys;
        heat += eHys;
      }
      soc[i] = z1;
      electricalJ[i] += elec;
      heatJ[i] += heat;
      const heatRate = heat * invDt;
      heatW[i] = heatRate;
      voltageV[i] = emf[i] + resistance[i] * currentA;
      if (!ahead) continue;
      const t1 = (coreC * tK + dt * (coreG * tCaseK[i] + heatRate)) * invCore;
      tCellK[i] = t1;
      // Linearise for the next step, as linearizeCells does with the mode kept (the same arithmetic, term for
      // term), unless the cache needs work first.
      if (
        (i >= windowLo && i < windowHi && co[o + Co.STAMP] !== stamp) ||
        z1 < zLo ||
        z1 > zHi ||
        t1 < co[o + Co.T_LO] ||
        t1 > co[o + Co.T_HI]
      ) {
        this.groupG = sumG;
        this.groupEG = sumEG;
        this.committedAt = i;
        return i;
      }
      const open = disconnected[i] !== 0;
      const next = open ? 0 : mode;
      let odNext = od;
      if (open) {
        // An open cell rests: its mode, and with it the direction block, may change.
        modes[i] = 0;
        odNext = o + Co.DIR;
        if (nRc > 0) a0 = co[odNext + Dir.BRANCHES + Br.A];
        if (nRc > 1) a1 = co[odNext + Dir.BRANCHES + Br.SIZE + Br.A];
        if (nRc > 2) a2 = co[odNext + Dir.BRANCHES + 2 * Br.SIZE + Br.A];
        if (nRc > 3) a3 = co[odNext + Dir.BRANCHES + 3 * Br.SIZE + Br.A];
      }
      const dtInvQ = dt * invQ;
      const slope = p1 + p3 * t1;
      let eNext = p0 + p2 * t1 + slope * (z1 - leak * dtInvQ);
      if (nRc > 0) {
        eNext += a0 * v0New;
        if (nRc > 1) {
          eNext += a1 * v1New;
          if (nRc > 2) {
            eNext += a2 * v2New;
            if (nRc > 3) eNext += a3 * v3New;
          }
        }
      }
      if (hasHys) eNext += hysM0 * (next !== 0 ? next : sNew) + hysM * hNew;
      const r = co[odNext + Dir.RSUM] + slope * ((next > 0 ? etaCharge : 1) * dtInvQ);
      emf[i] = eNext;
      resistance[i] = r;
      const g = open ? 0 : 1 / (r + seriesOhm[i]);
      conductance[i] = g;
      sumG += g;
      sumEG += eNext * g;
    }
    this.groupG = sumG;
    this.groupEG = sumEG;
    return hi;
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

function sameValues(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((x, k) => x === b[k]);
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
