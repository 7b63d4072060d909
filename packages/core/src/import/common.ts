/** Small helpers shared by the parameter importers. */
import { type CsvTable, parseCsv } from "../io/csv.ts";
import { findInterval } from "../math/interp.ts";

/** Rounds to `digits` significant digits, so generated parameter files stay short and stable. */
export function sig(x: number, digits = 6): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  return Number(x.toPrecision(digits));
}

/** Rounds an axis value (SOC, temperature) to kill float noise such as 0.15000000000000002. */
export const axisValue = (x: number): number => Math.round(x * 1e9) / 1e9;

/** Sorted distinct values. */
export function uniqueSorted(xs: ArrayLike<number>): number[] {
  return [...new Set(Array.from(xs, axisValue))].sort((a, b) => a - b);
}

/** Index of the column whose lower-cased name contains one of `keys`; throws naming the file's columns. */
export function columnIndex(t: CsvTable, keys: string[], what: string, file: string): number {
  const lower = t.columns.map((c) => c.toLowerCase());
  for (const k of keys) {
    const i = lower.findIndex((c) => c.includes(k));
    if (i >= 0) return i;
  }
  throw new Error(
    `${file}: no ${what} column (looked for a name containing ${keys.map((k) => `"${k}"`).join(" or ")}); columns: ${t.columns.join(", ")}`,
  );
}

/** A value sampled on a full rectangular grid, row-major over the axes in order. */
export interface Grid {
  axes: number[][];
  values: Float64Array;
}

/**
 * Reads a long-format CSV (one row per grid point: axis columns, then the value) into a full grid. Every
 * combination of the axis values must appear exactly once.
 */
export function parseGridCsv(text: string, file: string, axisKeys: string[][], valueIndex: number): Grid {
  const t = parseCsv(text);
  const cols = axisKeys.map((keys, k) => columnIndex(t, keys, `axis ${k + 1} (${keys[0]})`, file));
  const axes = cols.map((c) => uniqueSorted(t.data[c]));
  const size = axes.reduce((n, a) => n * a.length, 1);
  if (t.rows !== size)
    throw new Error(
      `${file}: ${t.rows} rows, but the axes (${axes.map((a) => a.length).join(" × ")}) make a grid of ${size} points; the table must be a full grid`,
    );
  const values = new Float64Array(size).fill(Number.NaN);
  const index = axes.map((a) => new Map(a.map((v, i) => [v, i])));
  for (let r = 0; r < t.rows; r++) {
    let flat = 0;
    for (let k = 0; k < cols.length; k++)
      flat = flat * axes[k].length + index[k].get(axisValue(t.data[cols[k]][r]))!;
    const v = t.data[valueIndex][r];
    if (!Number.isFinite(v))
      throw new Error(`${file}: row ${r + 1} has no finite value (${t.columns[valueIndex]})`);
    if (!Number.isNaN(values[flat]))
      throw new Error(`${file}: row ${r + 1} repeats a grid point already given by an earlier row`);
    values[flat] = v;
  }
  return { axes, values };
}

/** Interpolation position of x on a sorted axis, clamped at the ends: [i, w] with value = (1−w)·a[i] + w·a[i+1]. */
export function bracket(axis: readonly number[], x: number): [number, number] {
  const n = axis.length;
  if (n === 1) return [0, 0];
  const i = findInterval(axis, x);
  const w = (x - axis[i]) / (axis[i + 1] - axis[i]);
  return [i, Math.min(1, Math.max(0, w))];
}

/** JSON text with two-space indentation, arrays of numbers or strings kept on one line (tables stay readable). */
export function formatParamsJson(value: unknown): string {
  const out = (v: unknown, indent: string): string => {
    if (Array.isArray(v)) {
      if (v.every((x) => typeof x !== "object" || x === null))
        return `[${v.map((x) => JSON.stringify(x)).join(", ")}]`;
      const inner = `${indent}  `;
      return `[\n${v.map((x) => inner + out(x, inner)).join(",\n")}\n${indent}]`;
    }
    if (typeof v === "object" && v !== null) {
      const inner = `${indent}  `;
      const entries = Object.entries(v).filter(([, x]) => x !== undefined);
      if (entries.length === 0) return "{}";
      return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${out(x, inner)}`).join(",\n")}\n${indent}}`;
    }
    return JSON.stringify(v);
  };
  return `${out(value, "")}\n`;
}
