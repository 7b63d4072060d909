/**
 * The pack plant of the digital twin: Ns series groups × Np parallel cells, each cell with its own parameters;
 * exact current sharing in every group every step; a thermal network (cell core ↔ case ↔ neighbours, cases ↔
 * a cooling plate per group, plates ↔ a coolant loop with delayed pump flow and a heater); passive bleed
 * resistors and active group-to-group converters; main contactors with precharge and DC-link capacitance;
 * insulation resistance to chassis. Cell index i = g·Np + p (group g, position p).
 *
 * Each step holds the string current constant (zero-order hold). Every cell is affine in its own current over
 * the step (V = E_i + R_i·I_i, see FastCells), so a group with interconnect resistances r_i shares its current in
 * closed form: V_g = (I_g + Σ E_i/(R_i + r_i)) / Σ 1/(R_i + r_i), I_i = (V_g − E_i)/(R_i + r_i). A cell whose
 * current falls outside the band of the model it was linearised for (FastCells.accepts) is re-linearised and
 * the group solved again, at most once per cell and step. A group's bleed
 * resistor and converter currents make I_g affine in the string current too, so the whole pack is
 * V_pack = E_pack + R_pack·I_string, which the host uses to respect voltage limits exactly (CV charging).
 *
 * One pass over the cells per step: each group is linearised for the next step as it commits (see solveGroups).
 * Whoever writes a cell's state or parameters between steps must then call fast.invalidate(i) (or invalidateAll)
 * or settle(); setShort, openCell writes and a change of dt are picked up by the pack itself.
 */
import { FastCells } from "../cell/fast.ts";
import { Dbl, KernelMemory, Slot } from "../cell/kernel.ts";
import { CellArray } from "../cell/model.ts";
import type { CellModel } from "../cell/params.ts";
import type { Rng } from "../random.ts";
import type { ContactorState } from "./interfaces.ts";

export interface PackSpread {
  /** Relative standard deviation of cell capacity. */
  capacity: number;
  /** Relative standard deviation of cell resistances (R0 and RC together). */
  resistance: number;
  /** Standard deviation of initial SOC (fraction). */
  soc: number;
  /** Mean self-discharge current, A. */
  leakA: number;
  /** Standard deviation of self-discharge current, A (draws below 0 are clipped to 0). */
  leakSdA: number;
  /** Relative standard deviation of the interconnect resistances. */
  interconnect: number;
}

export interface PackThermal {
  /** Case-to-case conductance between adjacent cells (in a group and between groups), W/K. */
  neighbourWperK: number;
  /** Cell case to its group's cooling-plate segment, W/K per cell. */
  plateWperK: number;
  /** Heat capacity of one plate segment (one per group), J/K. */
  plateHeatCapacityJperK: number;
  /** Plate segment to coolant at full flow, W/K (scales with flow^0.8). */
  plateToCoolantWperK: number;
  /** Coolant mass flow at full pump speed, kg/s. */
  coolantFlowMaxKgPerS: number;
  /** Coolant specific heat, J/(kg·K). */
  coolantSpecificHeatJperKgK: number;
  /** Dead time between a flow command and the flow, s. */
  pumpDelayS: number;
  /** Heater rating, W (heats the coolant; with no flow, the plates). */
  heaterMaxW: number;
  /** Plate segment to ambient (enclosure), W/K. */
  plateToAmbientWperK: number;
  /**
   * Cell case to ambient inside the pack, W/K per cell. A packed cell sees ambient only through the enclosure,
   * so the parameter set's case-to-ambient value (a free cell in a test chamber) is not used.
   */
  cellToAmbientWperK: number;
}

export interface PackConfig {
  seriesGroups: number;
  parallelCells: number;
  /** Per-cell branch resistance from cell to group busbar (tab, weld, fuse wire), Ω. */
  interconnectOhm: number;
  spread: PackSpread;
  thermal: PackThermal;
  /** Passive balancing resistor per group, Ω. */
  bleedOhm: number;
  /** Active group-to-group converters: efficiency and maximum current (0 = no converters). */
  transferEfficiency: number;
  transferMaxA: number;
  prechargeOhm: number;
  linkCapacitanceF: number;
  /** Resistance that discharges the DC link while the contactors are open, Ω. */
  linkDischargeOhm: number;
  /** Healthy insulation resistance to chassis, Ω. */
  insulationOhm: number;
  /** Steps between refreshes of the cells' resistance coefficients (see FastCells). */
  coefficientRefreshSteps: number;
}

/** Default pack hardware for a cell: a 21700-class EV module build (override what you know). */
export function defaultPackConfig(seriesGroups: number, parallelCells: number): PackConfig {
  return {
    seriesGroups,
    parallelCells,
    interconnectOhm: 0.5e-3,
    spread: { capacity: 0.01, resistance: 0.03, soc: 0.005, leakA: 20e-6, leakSdA: 10e-6, interconnect: 0.1 },
    thermal: {
      neighbourWperK: 0.3,
      plateWperK: 0.4,
      plateHeatCapacityJperK: 900 * 0.2 * parallelCells,
      plateToCoolantWperK: 1.5 * parallelCells,
      coolantFlowMaxKgPerS: 0.15,
      coolantSpecificHeatJperKgK: 3500,
      pumpDelayS: 2,
      heaterMaxW: 5000,
      plateToAmbientWperK: 0.05 * parallelCells,
      cellToAmbientWperK: 0.005,
    },
    bleedOhm: 33,
    transferEfficiency: 0.9,
    transferMaxA: 2,
    prechargeOhm: 20,
    linkCapacitanceF: 1e-3,
    linkDischargeOhm: 50e3,
    insulationOhm: 5e6,
    coefficientRefreshSteps: 50,
  };
}

export interface PackInit {
  soc: number;
  tempK: number;
  ambientK: number;
  coolantInletK: number;
}

/** What the host (inverter, charger) asks for and the window it must respect. Currents charge-positive. */
export interface HostDemand {
  /** Current demand, A; used when powerW is undefined. */
  currentA: number;
  /** Power demand at the pack terminals, W, positive = charge (takes precedence when given). */
  powerW?: number;
  /** The host keeps the string current within [currentMinA, currentMaxA] (currentMinA ≤ 0). */
  currentMinA: number;
  currentMaxA: number;
  /** …and the pack voltage within [voltageMinV, voltageMaxV]. */
  voltageMinV: number;
  voltageMaxV: number;
}

export const NO_DEMAND: HostDemand = {
  currentA: 0,
  currentMinA: 0,
  currentMaxA: 0,
  voltageMinV: 0,
  voltageMaxV: Infinity,
};

/** A contactor event worth recording (closing onto a voltage difference). */
export interface PackEvent {
  timeS: number;
  what: string;
}

// Per group in Pack.aheadSums: the sums and current extremes of FastCells.linearizeAheadGroup.
enum Ahead {
  G = 0,
  EG = 1,
  CHARGE_MIN = 2,
  DISCHARGE_MAX = 3,
  REST_MIN = 4,
  REST_MAX = 5,
}
const AHEAD_SIZE = 6;

/**
 * Bytes of kernel memory for ns groups of np cells: per cell at most 19 state arrays (CellArray, 4 RC pairs), 53
 * doubles of FastCells (51 coefficients, voltage, current) and 5 of the pack, with room to spare; per group fewer
 * than 32 doubles; 8 bytes of rounding per array.
 */
function kernelBytes(ns: number, np: number): number {
  return 8 * (80 * ns * np + 32 * ns + 64);
}

export class Pack {
  declare readonly config: PackConfig;
  declare readonly ns: number;
  declare readonly np: number;
  declare readonly cells: CellArray;
  declare readonly fast: FastCells;

  // Per cell.
  declare readonly interconnectOhm: Float64Array;
  /** 1 = cell disconnected (open cell fault). */
  declare readonly openCell: Uint8Array;
  /** Internal short resistance, Ω (0 = none); drives leakA = V/R every step. Set it with setShort. */
  declare readonly shortOhm: Float64Array;
  /** Self-discharge of the cell without faults, A. */
  declare readonly baseLeakA: Float64Array;
  /** Cell currents of the last step, A (the fast path's input array). */
  declare readonly cellCurrentA: Float64Array;
  /** Charge through each cell since the last ageing update, A·s (absolute). */
  declare readonly cellThroughputAs: Float64Array;
  /** Cell terminal voltage at the end of the last step, V. */
  declare readonly cellVoltageV: Float64Array;
  declare private readonly conductance: Float64Array;
  declare private readonly cellMode: Int8Array;
  declare private readonly flippedAt: Int32Array;
  /** The cells of one group that change model in a pass of the group solve. */
  declare private readonly flips: Int32Array;
  /** The WebAssembly kernel that runs the loops over cells, or null (JavaScript loops). */
  declare private readonly kernel: KernelMemory | null;
  private stepCount = 0;
  // One pass per step: each group is linearised for the next step right after it commits (see solveGroups).
  // aheadSums holds each group's Σ conductance and Σ conductance·emf and its cells' current extremes by mode,
  // AHEAD_SIZE per group; aheadStale marks groups written since (shorted cells, open-cell changes).
  /** false: linearise every group from its state at every step (the two-pass way, for comparison). */
  onePass = true;
  /** Whether the last step linearised every group ahead, for a step of aheadDt, at this invalidation count. */
  private aheadReady = false;
  private aheadDt = 0;
  private aheadInvalidations = 0;
  declare private readonly aheadSums: Float64Array;
  declare private readonly aheadStale: Uint8Array;
  /** openCell and what the last linearisation saw of it, as words (faults write openCell directly). */
  declare private readonly openWords: Uint32Array;
  declare private readonly openSeenWords: Uint32Array;

  // Per group.
  declare readonly groupVoltageV: Float64Array;
  declare readonly groupCurrentA: Float64Array;
  declare readonly bleedCurrentA: Float64Array;
  declare readonly bleedOn: Uint8Array;
  /** Net converter current into each group, A. */
  declare readonly transferInA: Float64Array;
  declare readonly transferCmdA: Float64Array;
  declare readonly plateK: Float64Array;
  declare private readonly groupE: Float64Array;
  declare private readonly groupR: Float64Array;
  declare private readonly alpha: Float64Array;
  declare private readonly beta: Float64Array;
  /** The pack as V = packE + packR·I_string after linearizePack; packOpen when some group conducts nothing. */
  private packE = 0;
  private packR = 0;
  private packOpen = false;
  // Coolant loop during a step (see beginThermal): plate-to-coolant conductance (NTU), flow heat rate, the
  // coolant temperature entering the next plate, the heater's share per plate when there is no flow.
  private plateToCoolantW = 0;
  private coolantMdotCp = 0;
  private coolantK = 0;
  private heaterToPlateW = 0;

  // Pack level.
  timeS = 0;
  stringCurrentA = 0;
  packVoltageV = 0;
  linkVoltageV = 0;
  declare ambientK: number;
  declare coolantInletK: number;
  declare coolantOutletK: number;
  flowCommand = 0;
  /** Coolant flow acting now, fraction of maximum (after the pump delay and faults). */
  flowActual = 0;
  heaterCmdW = 0;
  pumpFailed = false;
  /** Cells that have had an internal short (see setShort). */
  private readonly shorted: number[] = [];
  declare insulationOhm: number;
  readonly contactorCmd: ContactorState = { positive: false, negative: false, precharge: false };
  readonly contactorActual: ContactorState = { positive: false, negative: false, precharge: false };
  readonly welded: ContactorState = { positive: false, negative: false, precharge: false };
  private readonly flowHistory: { t: number; v: number }[] = [];
  readonly events: PackEvent[] = [];

  // Energy accounts, J.
  /** Energy into the pack at its terminals (end-of-step voltage × current × dt). */
  terminalJ = 0;
  interconnectHeatJ = 0;
  bleedHeatJ = 0;
  transferLossJ = 0;
  prechargeHeatJ = 0;
  heaterJ = 0;
  coolantHeatJ = 0;
  /** Charge moved through the string, A·s (absolute). */
  throughputAs = 0;

  /**
   * With `kernel` false the loops over cells run in JavaScript rather than in the WebAssembly kernel (the same
   * arithmetic, bit for bit: test twin-kernel).
   */
  constructor(model: CellModel, config: PackConfig, init: PackInit, rng: Rng, kernel = true) {
    this.config = config;
    const ns = config.seriesGroups;
    const np = config.parallelCells;
    this.ns = ns;
    this.np = np;
    const n = ns * np;
    // The kernel's arrays lie in its memory; without it they are ordinary arrays, allocated the same way.
    const mem = kernel ? new KernelMemory(kernelBytes(ns, np)) : null;
    this.kernel = mem;
    const f = (k: number) => (mem ? mem.f64(k) : new Float64Array(k));
    this.cells = new CellArray(model, n, { soc: init.soc, tempK: init.tempK }, f);
    this.fast = new FastCells(this.cells, config.coefficientRefreshSteps, mem);
    this.interconnectOhm = f(n);
    // Padded to whole words so that the per-step comparison with openSeenWords runs four cells at a time.
    const words = Math.ceil(n / 4);
    this.openCell = (mem ? mem.u8(4 * words) : new Uint8Array(4 * words)).subarray(0, n);
    this.openWords = new Uint32Array(this.openCell.buffer, this.openCell.byteOffset, words);
    this.openSeenWords = new Uint32Array(this.openWords.length);
    this.shortOhm = f(n);
    this.baseLeakA = f(n);
    this.cellCurrentA = this.fast.currentA;
    this.cellThroughputAs = f(n);
    this.cellVoltageV = this.fast.voltageV;
    this.conductance = f(n);
    this.cellMode = this.fast.mode;
    this.flippedAt = (mem ? mem.i32(n) : new Int32Array(n)).fill(-1);
    this.flips = mem ? mem.i32(np) : new Int32Array(np);
    if (mem) {
      mem.point(Slot.FLIPPED_AT, this.flippedAt);
      mem.point(Slot.FLIPS, this.flips);
      mem.point(Slot.THROUGHPUT, this.cellThroughputAs);
      mem.point(Slot.INTERCONNECT, this.interconnectOhm);
      mem.point(Slot.CONDUCTANCE, this.conductance);
    }
    this.aheadSums = f(AHEAD_SIZE * ns);
    this.aheadStale = new Uint8Array(ns);
    this.groupVoltageV = f(ns);
    this.groupCurrentA = f(ns);
    this.bleedCurrentA = f(ns);
    this.bleedOn = new Uint8Array(ns);
    this.transferInA = f(ns);
    this.transferCmdA = f(Math.max(0, ns - 1));
    this.plateK = f(ns).fill(init.tempK);
    this.groupE = f(ns);
    this.groupR = f(ns);
    this.alpha = f(ns);
    this.beta = f(ns);
    this.ambientK = init.ambientK;
    this.coolantInletK = init.coolantInletK;
    this.coolantOutletK = init.coolantInletK;
    this.insulationOhm = config.insulationOhm;

    // Cell-to-cell spread, drawn in a fixed order so a seed always gives the same pack.
    const s = config.spread;
    const c = this.cells;
    for (let i = 0; i < n; i++) {
      c.capacityScale[i] = Math.max(0.5, 1 + s.capacity * rng.normal());
      c.resistanceScale[i] = Math.max(0.5, 1 + s.resistance * rng.normal());
      c.soc[i] = init.soc + s.soc * rng.normal();
      this.baseLeakA[i] = Math.max(0, s.leakA + s.leakSdA * rng.normal());
      c.leakA[i] = this.baseLeakA[i];
      this.interconnectOhm[i] = config.interconnectOhm * Math.max(0.2, 1 + s.interconnect * rng.normal());
    }
    this.settle();
  }

  /** Puts an internal short of `ohm` on cell i (0 removes it). */
  setShort(i: number, ohm: number): void {
    this.shortOhm[i] = ohm;
    if (!this.shorted.includes(i)) this.shorted.push(i);
  }

  get nCells(): number {
    return this.ns * this.np;
  }

  /** Sets every group's voltage to its open-circuit value (no step taken). */
  settle(): void {
    this.aheadReady = false;
    this.fast.beginStep(1e-9);
    this.settleGroups();
    let v = 0;
    for (let g = 0; g < this.ns; g++) v += this.groupVoltageV[g];
    this.packVoltageV = v;
  }

  /** Applies the controller's actuator requests. Bleed and transfer arrays are copied. */
  command(
    contactors: ContactorState,
    bleed: ArrayLike<number>,
    transferA: ArrayLike<number>,
    coolantFlow: number,
    heaterW: number,
  ): void {
    this.contactorCmd.positive = contactors.positive;
    this.contactorCmd.negative = contactors.negative;
    this.contactorCmd.precharge = contactors.precharge;
    for (let g = 0; g < this.ns; g++) this.bleedOn[g] = bleed[g] ? 1 : 0;
    const tmax = this.config.transferMaxA;
    for (let k = 0; k < this.transferCmdA.length; k++)
      this.transferCmdA[k] =
        tmax > 0 && Number.isFinite(transferA[k]) ? Math.max(-tmax, Math.min(tmax, transferA[k])) : 0;
    const flow = Math.max(0, Math.min(1, Number.isFinite(coolantFlow) ? coolantFlow : 0));
    if (flow !== this.flowCommand) {
      this.flowCommand = flow;
      this.flowHistory.push({ t: this.timeS, v: flow });
    }
    this.heaterCmdW = Math.max(
      0,
      Math.min(this.config.thermal.heaterMaxW, Number.isFinite(heaterW) ? heaterW : 0),
    );
  }

  /** Advances the pack by dt with the host's demand. */
  step(dt: number, demand: HostDemand): void {
    if (!(dt > 0)) throw new Error(`pack step: dt must be > 0 s, got ${dt}`);
    const c = this.cells;
    // Internal shorts drain their cell by V/R (voltage of the previous step).
    for (const i of this.shorted) {
      const rs = this.shortOhm[i];
      c.leakA[i] = this.baseLeakA[i] + (rs > 0 ? Math.max(0, this.cellVoltageV[i]) / rs : 0);
      this.aheadStale[Math.floor(i / this.np)] = 1;
    }
    this.markOpenCellChanges();
    this.updateContactors();
    this.updateTransfers();
    const ahead =
      this.onePass &&
      this.aheadReady &&
      dt === this.aheadDt &&
      this.fast.invalidations === this.aheadInvalidations;
    if (!ahead) this.aheadStale.fill(1);
    this.fast.beginStep(dt);
    this.stepCount++;

    const act = this.contactorActual;
    const mainClosed = act.negative && act.positive;
    const prechargePath = act.negative && act.precharge && !act.positive;
    const cap = this.config.linkCapacitanceF;
    // Guess of the string current (to pick each cell's model direction before the exact solve).
    const guess = mainClosed ? this.hostCurrent(demand, this.packVoltageV, 0) : 0;
    this.linearizePack(guess);
    const ePack = this.packE;
    const rPack = this.packR;
    const open = this.packOpen;

    let iString = 0;
    if (open) {
      iString = 0;
    } else if (mainClosed) {
      iString = this.hostCurrent(demand, ePack, rPack);
    } else if (prechargePath) {
      const rp = this.config.prechargeOhm;
      const tau = (rp + rPack) * cap;
      const v0 = this.linkVoltageV;
      const v1 = ePack + (v0 - ePack) * Math.exp(-dt / tau);
      iString = (-cap * (v1 - v0)) / dt;
      this.prechargeHeatJ += ((ePack - v0) * (ePack - v0) - (ePack - v1) * (ePack - v1)) * cap * 0.5;
      this.linkVoltageV = v1;
    }
    this.stringCurrentA = iString;
    this.beginThermal(dt);
    this.solveGroups(dt, iString);
    this.endThermal(dt);
    this.aheadStale.fill(0);
    this.aheadReady = true;
    this.aheadDt = dt;
    this.aheadInvalidations = this.fast.invalidations;

    let vPack = 0;
    for (let g = 0; g < this.ns; g++) vPack += this.groupVoltageV[g];
    this.packVoltageV = vPack;
    if (mainClosed && !open) this.linkVoltageV = vPack;
    else if (!prechargePath) this.linkVoltageV *= Math.exp(-dt / (this.config.linkDischargeOhm * cap));
    this.terminalJ += vPack * iString * dt;
    this.throughputAs += Math.abs(iString) * dt;
    this.timeS += dt;
  }

  /**
   * The string current the host draws for a pack that behaves as V = e + r·I: its demand, clipped to its
   * current window and then to its voltage window.
   */
  private hostCurrent(d: HostDemand, e: number, r: number): number {
    let i: number;
    if (d.powerW !== undefined) {
      const p = d.powerW;
      if (r <= 0) i = e > 0 ? p / e : 0;
      else {
        const disc = e * e + 4 * r * p;
        i = disc < 0 ? -e / (2 * r) : (-e + Math.sqrt(disc)) / (2 * r);
      }
    } else i = d.currentA;
    i = Math.max(d.currentMinA, Math.min(d.currentMaxA, i));
    // The voltage window only ever reduces a current: a charger above its setpoint stops, it does not
    // discharge; an inverter below its minimum stops drawing, it does not charge.
    if (r > 0) {
      if (i > 0 && e + r * i > d.voltageMaxV) i = Math.max(0, (d.voltageMaxV - e) / r);
      if (i < 0 && e + r * i < d.voltageMinV) i = Math.min(0, (d.voltageMinV - e) / r);
    }
    return i;
  }

  /** Marks the groups whose open-cell flags changed since the last linearisation (faults set them directly). */
  private markOpenCellChanges(): void {
    const now = this.openWords;
    const seen = this.openSeenWords;
    for (let w = 0; w < now.length; w++) {
      if (now[w] === seen[w]) continue;
      seen[w] = now[w];
      const last = Math.min(4 * w + 4, this.nCells);
      for (let i = 4 * w; i < last; i++) this.aheadStale[Math.floor(i / this.np)] = 1;
    }
  }

  /**
   * Linearises every cell (direction guessed from its last current and the expected change of the string
   * current) and leaves the pack as V = packE + packR·I_string (packOpen when a group conducts nothing). A group
   * linearised ahead in the last step (see solveGroups) is taken as it is when its cells keep their modes.
   */
  private linearizePack(stringGuess: number): void {
    const np = this.np;
    const fast = this.fast;
    const openCell = this.openCell;
    const conductance = this.conductance;
    const interconnect = this.interconnectOhm;
    const ahead = this.aheadSums;
    const stale = this.aheadStale;
    const band = 2 * fast.thresholdA;
    let e = 0;
    let r = 0;
    let open = false;
    for (let g = 0; g < this.ns; g++) {
      const delta = (stringGuess - this.groupCurrentA[g] + this.transferInA[g]) / np;
      const base = g * np;
      const at = AHEAD_SIZE * g;
      let sumG = ahead[at + Ahead.G];
      let sumEG = ahead[at + Ahead.EG];
      // Whether every cell keeps its mode (FastCells.accepts with this expected change). Rounding is monotonic,
      // so testing the extremes of the currents is the same as testing every cell.
      const kept =
        stale[g] === 0 &&
        ahead[at + Ahead.CHARGE_MIN] + delta > -band &&
        ahead[at + Ahead.DISCHARGE_MAX] + delta < band &&
        ahead[at + Ahead.REST_MIN] + delta >= -band &&
        ahead[at + Ahead.REST_MAX] + delta <= band;
      if (!kept) {
        fast.linearizeGroup(base, base + np, delta, interconnect, openCell, conductance);
        sumG = fast.groupG;
        sumEG = fast.groupEG;
      }
      if (sumG === 0) {
        open = true;
        this.groupR[g] = 0;
        this.groupE[g] = 0;
      } else {
        this.groupR[g] = 1 / sumG;
        this.groupE[g] = sumEG / sumG;
      }
      this.groupAffine(g);
      e += this.groupE[g] + this.groupR[g] * this.beta[g];
      r += this.groupR[g] * this.alpha[g];
    }
    this.packE = e;
    this.packR = r;
    this.packOpen = open;
  }

  /** I_g = α·I_string + β from the group's bleed resistor and converter current. */
  private groupAffine(g: number): void {
    const b = this.bleedOn[g] ? 1 / this.config.bleedOhm : 0;
    const a = 1 / (1 + b * this.groupR[g]);
    this.alpha[g] = a;
    this.beta[g] = (this.transferInA[g] - b * this.groupE[g]) * a;
  }

  /** Linearises every cell at rest and sets each group's voltage to its open-circuit value. */
  private settleGroups(): void {
    const np = this.np;
    const fast = this.fast;
    const c = this.cells;
    for (let g = 0; g < this.ns; g++) {
      const base = g * np;
      let sumG = 0;
      let sumEG = 0;
      for (let p = 0; p < np; p++) {
        const i = base + p;
        if (this.openCell[i]) continue;
        this.cellMode[i] = 0;
        fast.linearize(i, 0);
        const gi = 1 / (c.resistance[i] + this.interconnectOhm[i]);
        this.conductance[i] = gi;
        sumG += gi;
        sumEG += c.emf[i] * gi;
      }
      this.groupR[g] = sumG > 0 ? 1 / sumG : 0;
      this.groupE[g] = sumG > 0 ? sumEG / sumG : 0;
      this.groupVoltageV[g] = this.groupE[g];
    }
  }

  /**
   * Splits the string current into groups and cells, re-linearising any cell whose current came out with the
   * other direction (a few passes at most), then commits every cell and steps the group's thermal network.
   */
  private solveGroups(dt: number, iString: number): void {
    const np = this.np;
    const fast = this.fast;
    const band = 2 * fast.thresholdA;
    const threshold = fast.thresholdA;
    const current = this.cellCurrentA;
    const modes = this.cellMode;
    const conductance = this.conductance;
    const interconnect = this.interconnectOhm;
    const flippedAt = this.flippedAt;
    const emf = this.cells.emf;
    const resistance = this.cells.resistance;
    const stepCount = this.stepCount;
    const flips = this.flips;
    const ahead = this.aheadSums;
    const bleedG = 1 / this.config.bleedOhm;
    const kernel = this.kernel;
    for (let g = 0; g < this.ns; g++) {
      const base = g * np;
      const end = base + np;
      let iGroup = 0;
      let vGroup = 0;
      // The connected cells' current extremes by mode, for the next step's test of the modes kept ahead.
      let chargeMin = Infinity;
      let dischargeMax = -Infinity;
      let restMin = Infinity;
      let restMax = -Infinity;
      for (let pass = 0; pass < 4; pass++) {
        iGroup = this.alpha[g] * iString + this.beta[g];
        vGroup = this.groupE[g] + this.groupR[g] * iGroup;
        chargeMin = Infinity;
        dischargeMax = -Infinity;
        restMin = Infinity;
        restMax = -Infinity;
        // Cells whose current left the band of their model change model now (and are re-linearised below,
        // outside this loop, which keeps it free of calls).
        let flipped = 0;
        if (kernel) {
          flipped = kernel.exports.solveCells(base, end, vGroup, pass, stepCount, band, threshold);
          const h = kernel.headerF64;
          chargeMin = h[Dbl.CHARGE_MIN];
          dischargeMax = h[Dbl.DISCHARGE_MAX];
          restMin = h[Dbl.REST_MIN];
          restMax = h[Dbl.REST_MAX];
        } else
          for (let i = base; i < end; i++) {
            const gi = conductance[i];
            if (gi === 0) {
              current[i] = 0;
              continue;
            }
            const ii = (vGroup - emf[i]) * gi;
            current[i] = ii;
            // FastCells.accepts, written out. One change of model per cell and step: a cell at the edge of its
            // band may otherwise flip its hysteresis sign back and forth (the emf jumps by 2·M0 each time).
            const mode = modes[i];
            const accepted = mode > 0 ? ii > -band : mode < 0 ? ii < band : Math.abs(ii) <= band;
            if (!accepted && pass < 3 && flippedAt[i] !== stepCount) {
              flippedAt[i] = stepCount;
              modes[i] = ii > threshold ? 1 : ii < -threshold ? -1 : 0;
              flips[flipped++] = i;
            }
            // (A pass that flips a cell is followed by another, so the extremes kept are those of final modes.)
            if (mode > 0) {
              if (ii < chargeMin) chargeMin = ii;
            } else if (mode < 0) {
              if (ii > dischargeMax) dischargeMax = ii;
            } else {
              if (ii < restMin) restMin = ii;
              if (ii > restMax) restMax = ii;
            }
          }
        if (flipped === 0) break;
        for (let k = 0; k < flipped; k++) {
          const i = flips[k];
          fast.linearizeRange(i, i + 1);
          conductance[i] = 1 / (resistance[i] + interconnect[i]);
        }
        let sumG = 0;
        let sumEG = 0;
        for (let i = base; i < end; i++) {
          sumG += conductance[i];
          sumEG += emf[i] * conductance[i];
        }
        this.groupR[g] = 1 / sumG;
        this.groupE[g] = sumEG / sumG;
        this.groupAffine(g);
      }
      // The currents of the last solve sum to the group current by construction. Commits, steps the cores'
      // temperatures and linearises the group for the next step, in one pass (see FastCells.commitAheadGroup).
      fast.commitAheadGroup(base, end, interconnect, this.openCell, conductance);
      this.groupCurrentA[g] = iGroup;
      this.groupVoltageV[g] = vGroup;
      const ib = this.bleedOn[g] ? vGroup * bleedG : 0;
      this.bleedCurrentA[g] = ib;
      this.bleedHeatJ += vGroup * ib * dt;
      this.thermalGroup(g, dt);
      const at = AHEAD_SIZE * g;
      ahead[at + Ahead.G] = fast.groupG;
      ahead[at + Ahead.EG] = fast.groupEG;
      ahead[at + Ahead.CHARGE_MIN] = chargeMin;
      ahead[at + Ahead.DISCHARGE_MAX] = dischargeMax;
      ahead[at + Ahead.REST_MIN] = restMin;
      ahead[at + Ahead.REST_MAX] = restMax;
    }
  }

  private updateContactors(): void {
    const cmd = this.contactorCmd;
    const act = this.contactorActual;
    const w = this.welded;
    const wasMain = act.positive && act.negative;
    act.positive = cmd.positive || w.positive;
    act.negative = cmd.negative || w.negative;
    act.precharge = cmd.precharge || w.precharge;
    if (!wasMain && act.positive && act.negative) {
      const dv = this.packVoltageV - this.linkVoltageV;
      if (Math.abs(dv) > 0.05 * Math.max(1, this.packVoltageV))
        this.events.push({
          timeS: this.timeS,
          what: `main contactors closed onto ${dv.toFixed(1)} V (inrush ${(0.5 * this.config.linkCapacitanceF * dv * dv).toFixed(1)} J)`,
        });
      this.prechargeHeatJ += 0.5 * this.config.linkCapacitanceF * dv * dv;
    }
  }

  /** Converter currents from the commands, using the last group voltages for the power balance. */
  private updateTransfers(): void {
    this.transferInA.fill(0);
    const eff = this.config.transferEfficiency;
    const v = this.groupVoltageV;
    for (let k = 0; k < this.transferCmdA.length; k++) {
      const ia = this.transferCmdA[k];
      if (ia === 0) continue;
      const src = ia > 0 ? k : k + 1;
      const dst = ia > 0 ? k + 1 : k;
      const iSrc = Math.abs(ia);
      const pIn = v[src] * iSrc;
      const iDst = v[dst] > 0 ? (eff * pIn) / v[dst] : 0;
      this.transferInA[src] -= iSrc;
      this.transferInA[dst] += iDst;
    }
  }

  /** Converter losses of the last step, W (for the energy account). */
  private transferLossW(): number {
    let w = 0;
    const eff = this.config.transferEfficiency;
    for (let k = 0; k < this.transferCmdA.length; k++) {
      const ia = this.transferCmdA[k];
      if (ia === 0) continue;
      const src = ia > 0 ? k : k + 1;
      w += (1 - eff) * this.groupVoltageV[src] * Math.abs(ia);
    }
    return w;
  }

  /**
   * Thermal network, one semi-implicit pass (each node implicit in its own conductances, neighbours at their
   * latest values): unconditionally stable for any dt, first-order accurate. Groups are stepped in order right
   * after their cells commit (beginThermal, thermalGroup per group, endThermal); a group reads only its own
   * cells' heat and the cases of its neighbour groups (the one before already stepped, the one after not yet),
   * so this is the same pass as stepping the whole pack after all cells have committed.
   */
  private beginThermal(dt: number): void {
    const th = this.config.thermal;
    // Pump: the flow acting now is the command from pumpDelayS ago.
    const hist = this.flowHistory;
    const tAct = this.timeS - th.pumpDelayS;
    let flow = 0;
    let keep = 0;
    for (let k = 0; k < hist.length; k++)
      if (hist[k].t <= tAct + 1e-12) {
        flow = hist[k].v;
        keep = k;
      }
    if (keep > 0) hist.splice(0, keep);
    this.flowActual = this.pumpFailed ? 0 : flow;
    const mdotCp = this.flowActual * th.coolantFlowMaxKgPerS * th.coolantSpecificHeatJperKgK;
    const gPc = th.plateToCoolantWperK * this.flowActual ** 0.8;
    // Heat exchanger effectiveness of one plate segment (NTU method): exact for a well-mixed plate.
    this.plateToCoolantW = mdotCp > 0 ? mdotCp * (1 - Math.exp(-gPc / mdotCp)) : 0;
    this.coolantMdotCp = mdotCp;
    const heater = this.heaterCmdW;
    this.heaterJ += heater * dt;
    // Plates and the coolant flowing through them in series, group 0 first.
    this.coolantK = this.coolantInletK + (mdotCp > 0 ? heater / mdotCp : 0);
    this.heaterToPlateW = mdotCp > 0 ? 0 : heater / this.ns;
  }

  /**
   * Group g's cell cases, its plate and the coolant leaving it (the cores were stepped when the group committed,
   * see FastCells.commitAheadGroup); also the group's interconnect heat and the cells' charge throughput, from the
   * same currents.
   */
  private thermalGroup(g: number, dt: number): void {
    const th = this.config.thermal;
    const m = this.cells.model.thermal;
    const c = this.cells;
    const ns = this.ns;
    const np = this.np;
    const c2 = m.caseHeatCapacityJperK;
    const gcc = m.cellToCaseWperK;
    const gAmb = th.cellToAmbientWperK;
    const gn = th.neighbourWperK;
    const gp = th.plateWperK;
    const amb = this.ambientK;
    const tc = c.tCellK;
    const tk = c.tCaseK;
    const current = this.cellCurrentA;
    const interconnect = this.interconnectOhm;
    const throughput = this.cellThroughputAs;
    const plate = this.plateK[g];
    const bleedW = (this.bleedCurrentA[g] * this.groupVoltageV[g]) / np;
    const hasBefore = g > 0;
    const hasAfter = g < ns - 1;
    // A case's implicit weight depends only on how many neighbours it has: the groups before and after, and 0, 1
    // or 2 in its own row.
    const caseWeight = c2 + dt * (gcc + gp + gAmb + ((hasBefore ? 1 : 0) + (hasAfter ? 1 : 0)) * gn);
    const invEnd = 1 / (caseWeight + (np > 1 ? dt * gn : 0));
    const invInner = 1 / (caseWeight + 2 * dt * gn);
    // Heat to the case that does not depend on the cell: plate, ambient and bleed resistor.
    const fixedW = gp * plate + gAmb * amb + bleedW;
    const base = g * np;
    const last = base + np - 1;
    let sumCase = 0;
    let heatIc = 0;
    // The case before in the row enters last, as t = rest + weight·before: the one dependency that runs from
    // cell to cell along the row is then one multiply and one add long.
    const beforeInner = dt * gn * invInner;
    const beforeEnd = dt * gn * invEnd;
    const kernel = this.kernel;
    if (kernel) {
      kernel.exports.thermalCells(
        base,
        np,
        hasBefore,
        hasAfter,
        dt,
        c2,
        gcc,
        gn,
        fixedW,
        invInner,
        invEnd,
        beforeInner,
        beforeEnd,
      );
      sumCase = kernel.headerF64[Dbl.SUM_CASE];
      heatIc = kernel.headerF64[Dbl.HEAT_IC];
    } else {
      // The neighbour before in the row (already stepped) and this case's old value, carried along the row.
      let before = 0;
      let own = tk[base];
      for (let i = base; i <= last; i++) {
        const next = i < last ? tk[i + 1] : 0;
        let sumGT = gcc * tc[i] + fixedW + gn * next;
        if (hasBefore) sumGT += gn * tk[i - np];
        if (hasAfter) sumGT += gn * tk[i + np];
        // Interconnect heat is released at the case.
        const ii = current[i];
        const icW = interconnect[i] * ii * ii;
        heatIc += icW;
        throughput[i] += Math.abs(ii) * dt;
        const inner = i > base && i < last;
        const t =
          (c2 * own + dt * (sumGT + icW)) * (inner ? invInner : invEnd) +
          (inner ? beforeInner : beforeEnd) * before;
        tk[i] = t;
        sumCase += t;
        before = t;
        own = next;
      }
    }
    this.interconnectHeatJ += heatIc * dt;
    const h = this.plateToCoolantW;
    const mdotCp = this.coolantMdotCp;
    const tIn = this.coolantK;
    const cp = th.plateHeatCapacityJperK;
    const gpa = th.plateToAmbientWperK;
    const tp =
      (cp * plate + dt * (gp * sumCase + h * tIn + gpa * amb + this.heaterToPlateW)) /
      (cp + dt * (np * gp + h + gpa));
    this.plateK[g] = tp;
    if (mdotCp > 0) {
      const q = h * (tp - tIn);
      this.coolantHeatJ += q * dt;
      this.coolantK = tIn + q / mdotCp;
    }
  }

  private endThermal(dt: number): void {
    this.coolantOutletK = this.coolantK;
    this.transferLossJ += this.transferLossW() * dt;
  }
}
