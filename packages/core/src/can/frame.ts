/**
 * Classic CAN frames (ISO 11898-1): an 11-bit standard or 29-bit extended identifier and 0…8 data bytes.
 * Remote and error frames are not carried; CAN FD is not supported.
 */

export const CAN_MAX_STANDARD_ID = 0x7ff;
export const CAN_MAX_EXTENDED_ID = 0x1fffffff;
export const CAN_MAX_DATA_LENGTH = 8;

export interface CanFrame {
  /** Identifier without flag bits. */
  readonly id: number;
  /** True for a 29-bit identifier. */
  readonly extended: boolean;
  /** The data bytes; the DLC is `data.length`. */
  readonly data: Uint8Array;
}

/** Builds a frame, checking identifier range and data length; `extended` defaults to id > 0x7FF. */
export function canFrame(
  id: number,
  data: ArrayLike<number> = [],
  extended = id > CAN_MAX_STANDARD_ID,
): CanFrame {
  const maxId = extended ? CAN_MAX_EXTENDED_ID : CAN_MAX_STANDARD_ID;
  if (!Number.isInteger(id) || id < 0 || id > maxId)
    throw new RangeError(
      `CAN id: got ${id}, expected an integer 0…0x${maxId.toString(16).toUpperCase()} for a ${extended ? "29" : "11"}-bit identifier`,
    );
  if (data.length > CAN_MAX_DATA_LENGTH)
    throw new RangeError(`CAN data: got ${data.length} bytes, expected at most ${CAN_MAX_DATA_LENGTH}`);
  const bytes = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    if (!Number.isInteger(b) || b < 0 || b > 255)
      throw new RangeError(`CAN data[${i}]: got ${b}, expected an integer byte 0…255`);
    bytes[i] = b;
  }
  return { id, extended, data: bytes };
}

const hex2 = (b: number): string => b.toString(16).toUpperCase().padStart(2, "0");

/** candump-style text: `123#DEADBEEF` (standard) or `1ABCDEF0#00` (extended, 8 hex digits). */
export function formatFrame(f: CanFrame): string {
  const id = f.id
    .toString(16)
    .toUpperCase()
    .padStart(f.extended ? 8 : 3, "0");
  return `${id}#${Array.from(f.data, hex2).join("")}`;
}

/** Parses the candump-style text of `formatFrame`. */
export function parseFrame(text: string): CanFrame {
  const m = /^([0-9A-Fa-f]{1,8})#((?:[0-9A-Fa-f]{2}){0,8})$/.exec(text.trim());
  if (!m) throw new SyntaxError(`CAN frame: got "${text}", expected ID#DATA with hex id and 0…8 hex bytes`);
  const data: number[] = [];
  for (let i = 0; i < m[2].length; i += 2) data.push(Number.parseInt(m[2].slice(i, i + 2), 16));
  return canFrame(Number.parseInt(m[1], 16), data, m[1].length > 3);
}

export function framesEqual(a: CanFrame, b: CanFrame): boolean {
  if (a.id !== b.id || a.extended !== b.extended || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}
