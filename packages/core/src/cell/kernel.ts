/**
 * The WebAssembly kernel of the pack twin's hot loops (source: packages/core/assembly/cells.ts, compiled by
 * `npm run build:kernel` into kernel-wasm.ts) and the memory its arrays live in.
 *
 * Why WebAssembly: the loops over cells are bound by typed-array accesses, which V8 bounds-checks one by one
 * (docs/twin.md, Speed); a WebAssembly load is an address computation inside a guarded memory. The kernel does
 * the same IEEE arithmetic in the same order as the JavaScript loops it replaces, and takes e^x from JavaScript's
 * Math.exp, so both give bit-identical results (test twin-kernel).
 *
 * The arrays the kernel works on are views into one WebAssembly.Memory, handed out by a bump allocator. A
 * memory cannot grow without detaching every view into it, so its owner sizes it once, up front.
 */
import { KERNEL_WASM_BASE64 } from "./kernel-wasm.ts";

/** Bytes of the header through which JavaScript passes pointers and scalars (see assembly/kernel.ts). */
export const HEADER_BYTES = 1024;

/** The header's 32-bit slots (pointers and integers), by Int32Array index: the layout of assembly/kernel.ts. */
export enum Slot {
  CO = 0,
  MODE = 1,
  CURRENT = 2,
  SOC = 3,
  T_CELL = 4,
  T_CASE = 5,
  LEAK = 6,
  HYS = 7,
  SIGN = 8,
  V0 = 9,
  V1 = 10,
  V2 = 11,
  EMF = 12,
  RESISTANCE = 13,
  ELECTRICAL_J = 14,
  HEAT_J = 15,
  HEAT_W = 16,
  VOLTAGE = 17,
  SERIES = 18,
  DISCONNECTED = 19,
  CONDUCTANCE = 20,
  STRIDE = 21,
  DIR_STRIDE = 22,
  N_RC = 23,
  HAS_HYS = 24,
  WINDOW_LO = 25,
  WINDOW_HI = 26,
  CROSSING = 27,
  COMMITTED = 28,
  FLIPPED_AT = 29,
  FLIPS = 30,
  THROUGHPUT = 31,
  INTERCONNECT = 32,
  V3 = 33,
}

/** The header's doubles, by Float64Array index (from byte 256). */
export enum Dbl {
  DT = 32,
  GAMMA = 33,
  ETA = 34,
  CORE_C = 35,
  CORE_G = 36,
  STAMP = 37,
  G = 38,
  EG = 39,
  CROSS_U = 40,
  CROSS_D = 41,
  CHARGE_MIN = 42,
  DISCHARGE_MAX = 43,
  REST_MIN = 44,
  REST_MAX = 45,
  SUM_CASE = 46,
  HEAT_IC = 47,
}

export interface KernelExports {
  commitCells(from: number, hi: number, ahead: number): number;
  solveCells(
    base: number,
    end: number,
    vGroup: number,
    pass: number,
    stepCount: number,
    band: number,
    threshold: number,
  ): number;
  thermalCells(
    base: number,
    np: number,
    hasBefore: boolean,
    hasAfter: boolean,
    dt: number,
    c2: number,
    gcc: number,
    gn: number,
    fixedW: number,
    invInner: number,
    invEnd: number,
    beforeInner: number,
    beforeEnd: number,
  ): void;
}

let compiled: WebAssembly.Module | null = null;

function kernelModule(): WebAssembly.Module {
  if (!compiled) {
    const bytes = Uint8Array.from(atob(KERNEL_WASM_BASE64), (c) => c.charCodeAt(0));
    compiled = new WebAssembly.Module(bytes);
  }
  return compiled;
}

/** One kernel instance and the memory of the arrays it works on. */
export class KernelMemory {
  readonly memory: WebAssembly.Memory;
  readonly exports: KernelExports;
  /** The header as 32-bit integers (pointers, counts) and as doubles. */
  readonly headerI32: Int32Array;
  readonly headerF64: Float64Array;
  private next = HEADER_BYTES;
  private readonly limit: number;

  /** A memory with room for `bytes` of arrays (each rounded up to 8 bytes). */
  constructor(bytes: number) {
    this.limit = HEADER_BYTES + bytes;
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(this.limit / 65536) });
    const instance = new WebAssembly.Instance(kernelModule(), {
      env: { memory: this.memory, exp: Math.exp },
    });
    this.exports = instance.exports as unknown as KernelExports;
    this.headerI32 = new Int32Array(this.memory.buffer, 0, HEADER_BYTES / 4);
    this.headerF64 = new Float64Array(this.memory.buffer, 0, HEADER_BYTES / 8);
  }

  private take(bytes: number): number {
    const at = this.next;
    const size = Math.ceil(bytes / 8) * 8;
    if (at + size > this.limit)
      throw new Error(
        `kernel memory: ${at + size - HEADER_BYTES} bytes needed, ${this.limit - HEADER_BYTES} reserved`,
      );
    this.next = at + size;
    return at;
  }

  f64(n: number): Float64Array {
    return new Float64Array(this.memory.buffer, this.take(8 * n), n);
  }

  i32(n: number): Int32Array {
    return new Int32Array(this.memory.buffer, this.take(4 * n), n);
  }

  i8(n: number): Int8Array {
    return new Int8Array(this.memory.buffer, this.take(n), n);
  }

  /** n bytes, padded to whole 32-bit words (the view's buffer offset is word-aligned). */
  u8(n: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, this.take(n), n);
  }

  /** Points header slot `slot` at an array, which must lie in this memory. */
  point(slot: Slot, view: ArrayBufferView): void {
    if (view.buffer !== this.memory.buffer)
      throw new Error(`kernel: the array for header slot ${Slot[slot]} does not lie in the kernel's memory`);
    this.headerI32[slot] = view.byteOffset;
  }
}
