/**
 * Encoding and decoding of DBC signals. Physical value = raw · scale + offset; raw values are two's-complement
 * when signed, or IEEE 754 single/double floats. Integer raw values are exact up to 53 bits (JavaScript
 * numbers); longer integer signals decode to the nearest double. Encoding rounds to the signal's resolution and refuses values outside the DBC range or the raw
 * range, naming the signal, the value and what is allowed.
 */
import type { Dbc, DbcMessage, DbcSignal } from "./dbc.ts";
import { signalBitPositions } from "./dbc.ts";
import { type CanFrame, canFrame } from "./frame.ts";

export type SignalValues = Record<string, number>;

export class CanCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CanCodecError";
  }
}

const FLOAT32_MAX = 3.4028234663852886e38;

/** Smallest and largest raw value a signal can carry (integers, or the float's finite range). */
export function rawRange(sig: DbcSignal): { min: number; max: number } {
  if (sig.valueType === "float32") return { min: -FLOAT32_MAX, max: FLOAT32_MAX };
  if (sig.valueType === "float64") return { min: -Number.MAX_VALUE, max: Number.MAX_VALUE };
  return sig.signed
    ? { min: -(2 ** (sig.length - 1)), max: 2 ** (sig.length - 1) - 1 }
    : { min: 0, max: 2 ** sig.length - 1 };
}

/** True when the DBC gives a physical range ([0|0] means none). */
const hasRange = (sig: DbcSignal): boolean => sig.min !== 0 || sig.max !== 0;

interface CompiledSignal {
  sig: DbcSignal;
  /** Frame bit positions from LSB to MSB of the signal. */
  bits: Int32Array;
}

interface CompiledMessage {
  msg: DbcMessage;
  byName: Map<string, CompiledSignal>;
  /** Signals present in every frame (the multiplexer switch included). */
  always: CompiledSignal[];
  /** Multiplexed signals by switch value. */
  byMux: Map<number, CompiledSignal[]>;
  multiplexer?: CompiledSignal;
}

const NONE: CompiledSignal[] = [];

function compile(msg: DbcMessage): CompiledMessage {
  const c: CompiledMessage = { msg, byName: new Map(), always: [], byMux: new Map() };
  for (const sig of msg.signals) {
    const s = { sig, bits: Int32Array.from(signalBitPositions(sig.startBit, sig.length, sig.byteOrder)) };
    c.byName.set(sig.name, s);
    if (sig.isMultiplexer) c.multiplexer = s;
    if (sig.multiplexValue === undefined) c.always.push(s);
    else {
      const list = c.byMux.get(sig.multiplexValue) ?? [];
      list.push(s);
      c.byMux.set(sig.multiplexValue, list);
    }
  }
  return c;
}

// Scratch space for IEEE floats: the signal's bits, least significant first, as little-endian bytes.
const floatBytes = new Uint8Array(8);
const floatView = new DataView(floatBytes.buffer);

function readFloat(data: Uint8Array, s: CompiledSignal): number {
  floatBytes.fill(0);
  const bits = s.bits;
  for (let i = 0; i < bits.length; i++) {
    const p = bits[i];
    if ((data[p >> 3] >> (p & 7)) & 1) floatBytes[i >> 3] |= 1 << (i & 7);
  }
  return s.sig.valueType === "float32" ? floatView.getFloat32(0, true) : floatView.getFloat64(0, true);
}

function writeFloat(data: Uint8Array, s: CompiledSignal, x: number): void {
  if (s.sig.valueType === "float32") floatView.setFloat32(0, x, true);
  else floatView.setFloat64(0, x, true);
  const bits = s.bits;
  for (let i = 0; i < bits.length; i++) {
    const p = bits[i];
    if ((floatBytes[i >> 3] >> (i & 7)) & 1) data[p >> 3] |= 1 << (p & 7);
    else data[p >> 3] &= ~(1 << (p & 7));
  }
}

function readRaw(data: Uint8Array, s: CompiledSignal): number {
  if (s.sig.valueType !== "integer") return readFloat(data, s);
  let raw = 0;
  let weight = 1;
  const bits = s.bits;
  for (let i = 0; i < bits.length; i++) {
    const p = bits[i];
    if ((data[p >> 3] >> (p & 7)) & 1) raw += weight;
    weight *= 2;
  }
  if (s.sig.signed && raw >= weight / 2) raw -= weight;
  return raw;
}

function writeRaw(data: Uint8Array, s: CompiledSignal, raw: number): void {
  if (s.sig.valueType !== "integer") {
    writeFloat(data, s, raw);
    return;
  }
  // Two's complement of a negative value in `length` bits, then peel bits off from the LSB.
  let u = raw < 0 ? raw + 2 ** s.sig.length : raw;
  const bits = s.bits;
  for (let i = 0; i < bits.length; i++) {
    const p = bits[i];
    const bit = u % 2;
    u = (u - bit) / 2;
    if (bit) data[p >> 3] |= 1 << (p & 7);
    else data[p >> 3] &= ~(1 << (p & 7));
  }
}

/** Decimal scales (0.1, 0.01, …) divide by their integer inverse, so 568 · 0.1 reads 56.8, not 56.800000000000004. */
export function rawToPhysical(sig: DbcSignal, raw: number): number {
  const inverse = 1 / sig.scale;
  return (Number.isInteger(inverse) ? raw / inverse : raw * sig.scale) + sig.offset;
}

/** Physical (number, or a value-table name) to raw integer, checked against the DBC and raw ranges. */
export function physicalToRaw(sig: DbcSignal, value: number | string, where: string): number {
  if (typeof value === "string") {
    for (const [raw, name] of sig.choices) if (name === value) return raw;
    const names = [...sig.choices.values()].map((n) => JSON.stringify(n)).join(", ");
    throw new CanCodecError(
      `${where}: got ${JSON.stringify(value)}, expected a number${names ? ` or one of ${names}` : ""}`,
    );
  }
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new CanCodecError(`${where}: got ${String(value)}, expected a finite number`);
  const halfStep = Math.abs(sig.scale) / 2;
  if (hasRange(sig) && (value < sig.min - halfStep || value > sig.max + halfStep))
    throw new CanCodecError(
      `${where}: got ${value}, expected ${sig.min}…${sig.max}${sig.unit ? ` ${sig.unit}` : ""}`,
    );
  // Floats carry the scaled value as it is; integers round to the nearest step.
  const exact = (value - sig.offset) / sig.scale;
  const raw = sig.valueType === "integer" ? Math.round(exact) : exact;
  const r = rawRange(sig);
  if (raw < r.min || raw > r.max)
    throw new CanCodecError(
      `${where}: got ${value}, which needs raw ${raw} outside ${r.min}…${r.max} (${sig.length}-bit ${sig.signed ? "signed" : "unsigned"})`,
    );
  return raw;
}

/** Encodes and decodes the messages of one DBC. */
export class DbcCodec {
  private readonly byName = new Map<string, CompiledMessage>();
  /** Keyed by id, with 2^29 added for extended ids so the two spaces do not collide. */
  private readonly byKey = new Map<number, CompiledMessage>();

  constructor(readonly dbc: Dbc) {
    for (const m of dbc.messages) {
      const c = compile(m);
      this.byName.set(m.name, c);
      this.byKey.set(frameKey(m.id, m.extended), c);
    }
  }

  message(name: string): DbcMessage {
    return this.compiled(name).msg;
  }

  /** The message a frame carries, if the DBC defines it. */
  messageOf(frame: CanFrame): DbcMessage | undefined {
    return this.byKey.get(frameKey(frame.id, frame.extended))?.msg;
  }

  private compiled(name: string): CompiledMessage {
    const c = this.byName.get(name);
    if (!c) throw new CanCodecError(`no message named ${JSON.stringify(name)} in the DBC`);
    return c;
  }

  /**
   * Encodes a message. Every signal present for the given multiplexer value must be given (a limit is never
   * filled in silently); signals of other multiplexer values must not be.
   */
  encode(name: string, values: Record<string, number | string>): CanFrame {
    const c = this.compiled(name);
    const data = new Uint8Array(c.msg.length);
    let muxRaw: number | undefined;
    if (c.multiplexer) {
      const ms = c.multiplexer.sig;
      const v = values[ms.name];
      if (v === undefined)
        throw new CanCodecError(`${name}.${ms.name}: missing, the multiplexer must be given`);
      muxRaw = physicalToRaw(ms, v, `${name}.${ms.name}`);
    }
    for (const key in values) {
      const s = c.byName.get(key);
      if (!s)
        throw new CanCodecError(
          `${name}.${key}: no such signal (signals: ${[...c.byName.keys()].join(", ")})`,
        );
      const mv = s.sig.multiplexValue;
      if (mv !== undefined && mv !== muxRaw)
        throw new CanCodecError(`${name}.${key}: present only when the multiplexer is ${mv}, not ${muxRaw}`);
    }
    const muxed = muxRaw === undefined ? NONE : (c.byMux.get(muxRaw) ?? NONE);
    for (const list of [c.always, muxed])
      for (const s of list) {
        const v = values[s.sig.name];
        if (v === undefined) throw new CanCodecError(`${name}.${s.sig.name}: missing`);
        writeRaw(data, s, physicalToRaw(s.sig, v, `${name}.${s.sig.name}`));
      }
    return canFrame(c.msg.id, data, c.msg.extended);
  }

  /**
   * Decodes a frame into physical values (only the signals present for its multiplexer value), or undefined
   * when the DBC has no such message. A frame shorter than the message throws.
   */
  decode(frame: CanFrame): { message: DbcMessage; values: SignalValues } | undefined {
    const c = this.byKey.get(frameKey(frame.id, frame.extended));
    if (!c) return undefined;
    if (frame.data.length < c.msg.length)
      throw new CanCodecError(
        `${c.msg.name}: frame has ${frame.data.length} bytes, the DBC needs ${c.msg.length}`,
      );
    const values: SignalValues = {};
    for (const list of this.present(c, frame.data))
      for (const s of list) values[s.sig.name] = rawToPhysical(s.sig, readRaw(frame.data, s));
    return { message: c.msg, values };
  }

  /** Raw integer values of a frame's signals (for bit-exact comparisons). */
  decodeRaw(frame: CanFrame): SignalValues | undefined {
    const c = this.byKey.get(frameKey(frame.id, frame.extended));
    if (!c || frame.data.length < c.msg.length) return undefined;
    const values: SignalValues = {};
    for (const list of this.present(c, frame.data))
      for (const s of list) values[s.sig.name] = readRaw(frame.data, s);
    return values;
  }

  /** The signal lists present in a frame: the always-present ones and those of its multiplexer value. */
  private present(c: CompiledMessage, data: Uint8Array): CompiledSignal[][] {
    if (!c.multiplexer) return [c.always];
    return [c.always, c.byMux.get(readRaw(data, c.multiplexer)) ?? NONE];
  }
}

const frameKey = (id: number, extended: boolean): number => (extended ? id + 2 ** 29 : id);
