/** Random DBC messages and values for property and interoperability tests. */
import { type Rng, signalBitPositions } from "../src/index.ts";

export interface RandomSignal {
  name: string;
  startBit: number;
  length: number;
  intel: boolean;
  signed: boolean;
  scale: number;
  offset: number;
  mux?: "M" | number;
  /** IEEE float (SIG_VALTYPE_ 1 or 2) instead of an integer. */
  float?: 32 | 64;
}

export interface RandomMessage {
  id: number;
  extended: boolean;
  name: string;
  length: number;
  signals: RandomSignal[];
}

const SCALES = [1, 0.1, 0.01, 0.5, 0.25, 2, 0.001, 0.125];
const OFFSETS = [0, 0, -40, 10, -273.15, 0.5];

/**
 * Places signals of random byte order, length and sign in the free bits of a frame. With `multiplexed`, the
 * first signal is an 8-bit switch and later ones are tied to switch values 0…2 (overlapping between values,
 * as real multiplexed frames do).
 */
export function randomMessage(
  rng: Rng,
  index: number,
  opts: { multiplexed?: boolean; maxLength?: number; floats?: boolean } = {},
): RandomMessage {
  const length = 1 + rng.int(8);
  const nbits = length * 8;
  const used = new Map<string, Set<number>>();
  const taken = (group: string) => {
    const s = used.get(group) ?? new Set<number>();
    used.set(group, s);
    return s;
  };
  const signals: RandomSignal[] = [];
  const place = (sig: Omit<RandomSignal, "startBit">, group: string): boolean => {
    for (let attempt = 0; attempt < 30; attempt++) {
      const startBit = rng.int(nbits);
      const bits = signalBitPositions(startBit, sig.length, sig.intel ? "intel" : "motorola");
      if (bits.some((b) => b < 0 || b >= nbits)) continue;
      const conflicts =
        group === "all"
          ? [...used.values()].some((set) => bits.some((b) => set.has(b)))
          : bits.some((b) => taken("all").has(b) || taken(group).has(b));
      if (conflicts) continue;
      for (const b of bits) taken(group).add(b);
      signals.push({ ...sig, startBit });
      return true;
    }
    return false;
  };
  const muxed = opts.multiplexed && length >= 2;
  if (muxed)
    place(
      { name: "Mux", length: 8, intel: rng.uniform() < 0.5, signed: false, scale: 1, offset: 0, mux: "M" },
      "all",
    );
  const n = 1 + rng.int(6);
  for (let i = 0; i < n; i++) {
    const mux = muxed && rng.uniform() < 0.6 ? rng.int(3) : undefined;
    // Multiplexed signals avoid the always-present bits but may overlap signals of other mux values.
    const group = mux === undefined ? "all" : `m${mux}`;
    const float =
      opts.floats && rng.uniform() < 0.3 ? (nbits === 64 && rng.uniform() < 0.3 ? 64 : 32) : undefined;
    if (float && float > nbits) continue;
    const sigLength = float ?? 1 + rng.int(Math.min(opts.maxLength ?? 32, nbits));
    place(
      {
        name: `S${index}_${i}`,
        length: sigLength,
        intel: rng.uniform() < 0.5,
        signed: float !== undefined || (sigLength > 1 && rng.uniform() < 0.5),
        // Floats carry the value itself in practice: no scaling, so raw and physical are the same number.
        scale: float ? 1 : SCALES[rng.int(SCALES.length)],
        offset: float ? 0 : OFFSETS[rng.int(OFFSETS.length)],
        mux,
        float,
      },
      group,
    );
  }
  const extended = rng.uniform() < 0.3;
  const id = extended ? 0x800 + rng.int(0x1fffffff - 0x800) : rng.int(0x800);
  return { id, extended, name: `Msg${index}`, length, signals };
}

/** Raw range of a random signal. */
export function rawBounds(s: RandomSignal): [number, number] {
  return s.signed ? [-(2 ** (s.length - 1)), 2 ** (s.length - 1) - 1] : [0, 2 ** s.length - 1];
}

const num = (x: number): string => String(Number(x.toPrecision(12)));

export function messagesToDbc(messages: RandomMessage[]): string {
  const lines = ['VERSION ""', "", "NS_ :", "\tCM_", "\tVAL_", "", "BS_:", "", "BU_: Tx Rx", ""];
  for (const m of messages) {
    lines.push(`BO_ ${m.extended ? m.id + 0x80000000 : m.id} ${m.name}: ${m.length} Tx`);
    for (const s of m.signals) {
      const [lo, hi] = s.float ? [0, 0] : rawBounds(s);
      const min = lo * s.scale + s.offset;
      const max = hi * s.scale + s.offset;
      const tag = s.mux === undefined ? "" : s.mux === "M" ? " M" : ` m${s.mux}`;
      lines.push(
        ` SG_ ${s.name}${tag} : ${s.startBit}|${s.length}@${s.intel ? 1 : 0}${s.signed ? "-" : "+"} (${num(s.scale)},${num(s.offset)}) [${num(Math.min(min, max))}|${num(Math.max(min, max))}] "u" Rx`,
      );
    }
    lines.push("");
  }
  for (const m of messages)
    for (const s of m.signals)
      if (s.float)
        lines.push(
          `SIG_VALTYPE_ ${m.extended ? m.id + 0x80000000 : m.id} ${s.name} : ${s.float === 32 ? 1 : 2};`,
        );
  return `${lines.join("\n")}\n`;
}

/** Random raw values for the signals present at a random multiplexer value. */
export function randomRawValues(rng: Rng, m: RandomMessage): Record<string, number> {
  const out: Record<string, number> = {};
  const muxSig = m.signals.find((s) => s.mux === "M");
  // Only switch values that select at least one signal (cantools rejects the others).
  const usedValues = [...new Set(m.signals.flatMap((s) => (typeof s.mux === "number" ? [s.mux] : [])))];
  const muxValue = muxSig ? (usedValues.length ? usedValues[rng.int(usedValues.length)] : 0) : undefined;
  for (const s of m.signals) {
    if (typeof s.mux === "number" && s.mux !== muxValue) continue;
    if (s.mux === "M") {
      out[s.name] = muxValue!;
      continue;
    }
    if (s.float === 32) out[s.name] = Math.fround(rng.range(-1e6, 1e6));
    else if (s.float === 64) out[s.name] = rng.range(-1e12, 1e12);
    else {
      const [lo, hi] = rawBounds(s);
      out[s.name] = lo + Math.floor(rng.uniform() * (hi - lo + 1));
    }
  }
  return out;
}
