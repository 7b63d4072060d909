/**
 * Sensor models of the twin: what the BMS would read from real hardware. Every reading passes through its own
 * gain and offset (drawn once per channel from the seeded generator), noise, ADC quantisation and a sample
 * latency with jitter; injected sensor faults (stuck, dropped, open sense wire, spoofed temperature bias, lost
 * communication) act here, between the truth and the controller.
 */
import type { Rng } from "../random.ts";
import type { Measurements, Reading, ReadingBank, SensorPosition } from "./interfaces.ts";
import type { Pack } from "./pack.ts";

export interface ChannelNoise {
  /** Standard deviation of the noise of one sample. */
  noise: number;
  /** Standard deviation of the per-channel offset (drawn once). */
  offsetSd: number;
  /** Standard deviation of the per-channel relative gain error (drawn once). */
  gainSd: number;
  /** ADC step (0 = no quantisation). */
  lsb: number;
}

export interface SensorConfig {
  /** Period of the measurement frames, s. */
  samplePeriodS: number;
  /** Delay from sampling to the frame, s, and its uniform jitter on top, s. */
  latencyS: number;
  jitterS: number;
  /** A reading older than this is reported invalid, s. */
  timeoutS: number;
  groupVoltage: ChannelNoise;
  temperature: ChannelNoise;
  current: ChannelNoise;
  packVoltage: ChannelNoise;
  /** Relative noise of the insulation monitor. */
  insulationNoise: number;
  /** Temperature sensor positions. */
  tempSensors: SensorPosition[];
}

/** A few sensors per module: first, middle and last cell of every 4th group, and the last group. */
export function defaultSensorPositions(ns: number, np: number): SensorPosition[] {
  const out: SensorPosition[] = [];
  for (let g = 0; g < ns; g += 4) out.push({ group: g, cell: 0 }, { group: g, cell: Math.floor(np / 2) });
  if ((ns - 1) % 4 !== 0) out.push({ group: ns - 1, cell: np - 1 });
  return out;
}

export function defaultSensorConfig(ns: number, np: number): SensorConfig {
  return {
    samplePeriodS: 0.1,
    latencyS: 0.02,
    jitterS: 0.01,
    timeoutS: 1,
    groupVoltage: { noise: 0.8e-3, offsetSd: 1e-3, gainSd: 2e-4, lsb: 100e-6 },
    temperature: { noise: 0.1, offsetSd: 0.3, gainSd: 0, lsb: 0.1 },
    current: { noise: 0.2, offsetSd: 0.1, gainSd: 2e-3, lsb: 0.01 },
    packVoltage: { noise: 0.1, offsetSd: 0.2, gainSd: 1e-3, lsb: 0.01 },
    insulationNoise: 0.02,
    tempSensors: defaultSensorPositions(ns, np),
  };
}

export type SignalKind = "group-voltage" | "temperature" | "current";

/** Truth snapshot layout: group voltages, sensor temperatures, then the scalars. */
const S_CURRENT = 0;
const S_PACK_V = 1;
const S_LINK_V = 2;
const S_INSULATION = 3;
const S_COOLANT = 4;
const SCALARS = 5;

export class Sensors {
  readonly config: SensorConfig;
  private readonly ns: number;
  private readonly nt: number;
  private readonly rng: Rng;
  private readonly width: number;
  private readonly ring: Float64Array;
  private readonly ringTime: Float64Array;
  private ringHead = -1;
  private ringCount = 0;
  // Per-channel errors, drawn once.
  private readonly gvGain: Float64Array;
  private readonly gvOffset: Float64Array;
  private readonly tOffset: Float64Array;
  private readonly iGain: number;
  private readonly iOffset: number;
  private readonly vGain: number;
  private readonly vOffset: number;
  private readonly lvGain: number;
  private readonly lvOffset: number;
  // Faults.
  readonly groupStuck: Float64Array;
  readonly tempStuck: Float64Array;
  currentStuck = Number.NaN;
  readonly groupDropped: Uint8Array;
  readonly tempDropped: Uint8Array;
  currentDropped = false;
  /** Open sense wire at the top tap of group g. */
  readonly openWire: Uint8Array;
  readonly tempBiasK: Float64Array;
  commsLost = false;
  // Last frame that reached the controller.
  private last: Measurements | null = null;

  constructor(config: SensorConfig, pack: Pack, rng: Rng) {
    this.config = config;
    this.rng = rng;
    this.ns = pack.ns;
    this.nt = config.tempSensors.length;
    for (const [k, s] of config.tempSensors.entries())
      if (!(s.group >= 0 && s.group < pack.ns && s.cell >= 0 && s.cell < pack.np))
        throw new Error(
          `tempSensors[${k}]: got group ${s.group}, cell ${s.cell}, expected group 0…${pack.ns - 1} and cell 0…${pack.np - 1}`,
        );
    this.width = this.ns + this.nt + SCALARS;
    const depth = Math.ceil((config.latencyS + config.jitterS) / 1e-3) + 2;
    this.ring = new Float64Array(Math.min(depth, 4096) * this.width);
    this.ringTime = new Float64Array(Math.min(depth, 4096));
    const gv = config.groupVoltage;
    this.gvGain = Float64Array.from({ length: this.ns }, () => 1 + gv.gainSd * rng.normal());
    this.gvOffset = Float64Array.from({ length: this.ns }, () => gv.offsetSd * rng.normal());
    this.tOffset = Float64Array.from({ length: this.nt }, () => config.temperature.offsetSd * rng.normal());
    this.iGain = 1 + config.current.gainSd * rng.normal();
    this.iOffset = config.current.offsetSd * rng.normal();
    this.vGain = 1 + config.packVoltage.gainSd * rng.normal();
    this.vOffset = config.packVoltage.offsetSd * rng.normal();
    this.lvGain = 1 + config.packVoltage.gainSd * rng.normal();
    this.lvOffset = config.packVoltage.offsetSd * rng.normal();
    this.groupStuck = new Float64Array(this.ns).fill(Number.NaN);
    this.tempStuck = new Float64Array(this.nt).fill(Number.NaN);
    this.groupDropped = new Uint8Array(this.ns);
    this.tempDropped = new Uint8Array(this.nt);
    this.openWire = new Uint8Array(this.ns);
    this.tempBiasK = new Float64Array(this.nt);
  }

  /** Stores the plant's truth at its current time (call after every plant step). */
  observe(pack: Pack): void {
    const cap = this.ringTime.length;
    this.ringHead = (this.ringHead + 1) % cap;
    this.ringCount = Math.min(cap, this.ringCount + 1);
    const o = this.ringHead * this.width;
    const r = this.ring;
    r.set(pack.groupVoltageV, o);
    const np = pack.np;
    const ts = this.config.tempSensors;
    for (let k = 0; k < this.nt; k++) r[o + this.ns + k] = pack.cells.tCaseK[ts[k].group * np + ts[k].cell];
    const s = o + this.ns + this.nt;
    r[s + S_CURRENT] = pack.stringCurrentA;
    r[s + S_PACK_V] = pack.packVoltageV;
    r[s + S_LINK_V] = pack.linkVoltageV;
    r[s + S_INSULATION] = pack.insulationOhm;
    r[s + S_COOLANT] = pack.coolantInletK;
    this.ringTime[this.ringHead] = pack.timeS;
  }

  /** Offset into the ring of the newest snapshot taken at or before time t (the oldest if none is). */
  private snapshotAt(t: number): number {
    const cap = this.ringTime.length;
    let idx = this.ringHead;
    for (let k = 0; k < this.ringCount; k++) {
      const j = (this.ringHead - k + cap) % cap;
      idx = j;
      if (this.ringTime[j] <= t + 1e-9) break;
    }
    return idx * this.width;
  }

  /** The measurement frame the controller receives at time t (contactor feedback read from the pack now). */
  frame(t: number, pack: Pack): Measurements {
    const cfg = this.config;
    const rng = this.rng;
    // One sampling instant per frame (the monitoring chips scan all channels within a few ms).
    const delay = cfg.latencyS + cfg.jitterS * rng.uniform();
    const o = this.snapshotAt(t - delay);
    const sampleT = this.ringTime[o / this.width];
    const r = this.ring;
    const ns = this.ns;
    const nt = this.nt;
    const prev = this.last;
    const age = Math.max(0, t - sampleT);

    const gv = cfg.groupVoltage;
    const groupVoltageV: ReadingBank = {
      value: new Float64Array(ns),
      valid: new Uint8Array(ns),
      ageS: new Float64Array(ns),
    };
    for (let g = 0; g < ns; g++) {
      let v = r[o + g];
      // Open sense wire at the top tap of group g: g reads (almost) nothing, g+1 reads both groups.
      if (this.openWire[g]) v = 0;
      if (g > 0 && this.openWire[g - 1]) v += r[o + g - 1];
      let meas = quantise(this.gvGain[g] * v + this.gvOffset[g] + gv.noise * rng.normal(), gv.lsb);
      if (!Number.isNaN(this.groupStuck[g])) meas = this.groupStuck[g];
      this.fill(groupVoltageV, g, meas, age, this.groupDropped[g] === 1, prev?.groupVoltageV);
    }
    const tc = cfg.temperature;
    const temperatureK: ReadingBank = {
      value: new Float64Array(nt),
      valid: new Uint8Array(nt),
      ageS: new Float64Array(nt),
    };
    for (let k = 0; k < nt; k++) {
      let meas = quantise(
        r[o + ns + k] + this.tOffset[k] + this.tempBiasK[k] + tc.noise * rng.normal(),
        tc.lsb,
      );
      if (!Number.isNaN(this.tempStuck[k])) meas = this.tempStuck[k];
      this.fill(temperatureK, k, meas, age, this.tempDropped[k] === 1, prev?.temperatureK);
    }
    const s = o + ns + nt;
    const ic = cfg.current;
    let iMeas = quantise(this.iGain * r[s + S_CURRENT] + this.iOffset + ic.noise * rng.normal(), ic.lsb);
    if (!Number.isNaN(this.currentStuck)) iMeas = this.currentStuck;
    const pv = cfg.packVoltage;
    const frame: Measurements = {
      timeS: t,
      groupVoltageV,
      temperatureK,
      packCurrentA: this.reading(iMeas, age, this.currentDropped, prev?.packCurrentA),
      packVoltageV: this.reading(
        quantise(this.vGain * r[s + S_PACK_V] + this.vOffset + pv.noise * rng.normal(), pv.lsb),
        age,
        false,
        prev?.packVoltageV,
      ),
      linkVoltageV: this.reading(
        quantise(this.lvGain * r[s + S_LINK_V] + this.lvOffset + pv.noise * rng.normal(), pv.lsb),
        age,
        false,
        prev?.linkVoltageV,
      ),
      insulationOhm: this.reading(
        r[s + S_INSULATION] * (1 + cfg.insulationNoise * rng.normal()),
        age,
        false,
        prev?.insulationOhm,
      ),
      coolantInletK: this.reading(
        quantise(r[s + S_COOLANT] + tc.noise * rng.normal(), tc.lsb),
        age,
        false,
        prev?.coolantInletK,
      ),
      contactors: { ...pack.contactorActual },
      commsOk: !this.commsLost,
    };
    if (this.commsLost && prev) {
      // Nothing arrives: the controller keeps the last frame, every reading ageing and invalid once timed out.
      const stale = structuredCloneFrame(prev, t, cfg.timeoutS);
      stale.commsOk = false;
      this.last = stale;
      return stale;
    }
    this.last = frame;
    return frame;
  }

  private fill(
    bank: ReadingBank,
    k: number,
    value: number,
    age: number,
    dropped: boolean,
    prev: ReadingBank | undefined,
  ): void {
    if (dropped) {
      bank.value[k] = prev ? prev.value[k] : Number.NaN;
      bank.ageS[k] = prev ? prev.ageS[k] + this.config.samplePeriodS : Infinity;
      bank.valid[k] = 0;
    } else {
      bank.value[k] = value;
      bank.ageS[k] = age;
      bank.valid[k] = age <= this.config.timeoutS ? 1 : 0;
    }
  }

  private reading(value: number, age: number, dropped: boolean, prev: Reading | undefined): Reading {
    if (dropped)
      return {
        value: prev ? prev.value : Number.NaN,
        valid: false,
        ageS: prev ? prev.ageS + this.config.samplePeriodS : Infinity,
      };
    return { value, valid: age <= this.config.timeoutS, ageS: age };
  }

  /** Freezes a channel at the value it reads now. */
  stick(signal: SignalKind, index: number): void {
    const last = this.last;
    if (signal === "group-voltage") this.groupStuck[index] = last ? last.groupVoltageV.value[index] : 0;
    else if (signal === "temperature") this.tempStuck[index] = last ? last.temperatureK.value[index] : 0;
    else this.currentStuck = last ? last.packCurrentA.value : 0;
  }

  unstick(signal: SignalKind, index: number): void {
    if (signal === "group-voltage") this.groupStuck[index] = Number.NaN;
    else if (signal === "temperature") this.tempStuck[index] = Number.NaN;
    else this.currentStuck = Number.NaN;
  }

  setDropped(signal: SignalKind, index: number, on: boolean): void {
    if (signal === "group-voltage") this.groupDropped[index] = on ? 1 : 0;
    else if (signal === "temperature") this.tempDropped[index] = on ? 1 : 0;
    else this.currentDropped = on;
  }
}

/**
 * ADC quantisation. A decimal step (0.1 mV, 0.1 K, …) divides by its integer inverse, as the CAN codec does, so a
 * reading passed in memory is the same double as the one that crossed a CAN link (a threshold tie cannot then
 * split the two runs).
 */
function quantise(x: number, lsb: number): number {
  if (!(lsb > 0)) return x;
  const inverse = 1 / lsb;
  return Number.isInteger(inverse) ? Math.round(x / lsb) / inverse : Math.round(x / lsb) * lsb;
}

/** The previous frame re-delivered at time t with its readings aged (communication lost). */
function structuredCloneFrame(prev: Measurements, t: number, timeoutS: number): Measurements {
  const dt = t - prev.timeS;
  const bank = (b: ReadingBank): ReadingBank => {
    const ageS = b.ageS.map((a) => a + dt);
    return { value: b.value.slice(), ageS, valid: Uint8Array.from(ageS, (a) => (a <= timeoutS ? 1 : 0)) };
  };
  const one = (x: Reading): Reading => ({
    value: x.value,
    ageS: x.ageS + dt,
    valid: x.ageS + dt <= timeoutS,
  });
  return {
    timeS: t,
    groupVoltageV: bank(prev.groupVoltageV),
    temperatureK: bank(prev.temperatureK),
    packCurrentA: one(prev.packCurrentA),
    packVoltageV: one(prev.packVoltageV),
    linkVoltageV: one(prev.linkVoltageV),
    insulationOhm: one(prev.insulationOhm),
    coolantInletK: one(prev.coolantInletK),
    contactors: { ...prev.contactors },
    commsOk: false,
  };
}
