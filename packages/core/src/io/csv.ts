/**
 * Reading measured data from CSV text (pure: the caller reads the file).
 *
 * Lines starting with '#' are comments. The first non-comment line is the header when it is not numeric; a file
 * without a header takes its column names from its last comment line when that has as many fields as the data
 * (PyBaMM's drive cycles: "# time [s],current [A]"), else the names are "0", "1", …
 */
import type { Profile } from "../cell/simulate.ts";
import { type CurrentSign, celsiusToKelvin, toChargePositive } from "../units.ts";

export interface CsvTable {
  columns: string[];
  data: Float64Array[];
  rows: number;
}

export function parseCsv(text: string): CsvTable {
  const lines = text.split(/\r?\n/);
  let lastComment: string | null = null;
  let i = 0;
  for (; i < lines.length; i++) {
    const l = lines[i].trim();
    if (l === "") continue;
    if (l.startsWith("#")) {
      lastComment = l.replace(/^#+\s*/, "");
      continue;
    }
    break;
  }
  if (i >= lines.length) throw new Error("CSV has no data rows");
  const delimiter = lines[i].includes(",")
    ? ","
    : lines[i].includes(";")
      ? ";"
      : /\t/.test(lines[i])
        ? "\t"
        : ",";
  const split = (l: string) => l.split(delimiter).map((s) => s.trim().replace(/^"(.*)"$/, "$1"));
  const first = split(lines[i]);
  const numeric = first.every((f) => f !== "" && Number.isFinite(Number(f)));
  let columns: string[];
  if (!numeric) {
    columns = first;
    i++;
  } else {
    const fromComment = lastComment ? split(lastComment).filter((s) => s !== "") : [];
    columns = fromComment.length === first.length ? fromComment : first.map((_, k) => String(k));
  }
  const cols: number[][] = columns.map(() => []);
  for (; i < lines.length; i++) {
    const l = lines[i].trim();
    if (l === "" || l.startsWith("#")) continue;
    const f = split(l);
    if (f.length < columns.length)
      throw new Error(`CSV line ${i + 1} has ${f.length} fields, expected ${columns.length}`);
    for (let c = 0; c < columns.length; c++) cols[c].push(f[c] === "" ? Number.NaN : Number(f[c]));
  }
  return { columns, data: cols.map((c) => Float64Array.from(c)), rows: cols[0]?.length ?? 0 };
}

/** How to read a measured file into coxswain's conventions. Column names or 0-based indices. */
export interface ColumnMapping {
  time?: string;
  current?: string;
  voltage?: string;
  temperature?: string;
  /**
   * Sign convention of the file's current. Default: discharge-positive for a column named in PyBaMM's style
   * ("Current [A]", PyBaMM's own convention), charge-positive otherwise (coxswain's and the measured datasets').
   */
  currentSign?: CurrentSign;
  /** Multiplier to amperes (0.001 for mA). */
  currentScale?: number;
  /** Multiplier to seconds (60 for minutes, 3600 for hours). */
  timeScale?: number;
  /** Temperature unit of the file (default C). */
  temperatureUnit?: "C" | "K";
}

const ALIASES = {
  time: ["time_s", "time [s]", "time", "t", "test_time_s"],
  current: ["current_a", "current [a]", "current", "i"],
  voltage: ["voltage_v", "voltage [v]", "voltage", "v"],
  temperature: ["temp_cell_c", "temperature_c", "temp_c", "temperature [degc]"],
};

function findColumn(
  t: CsvTable,
  spec: string | undefined,
  kind: keyof typeof ALIASES,
  required: boolean,
): number {
  if (spec !== undefined) {
    const byName = t.columns.indexOf(spec);
    if (byName >= 0) return byName;
    if (/^\d+$/.test(spec) && Number(spec) < t.columns.length) return Number(spec);
    throw new Error(`no column "${spec}" for ${kind}; the file has: ${t.columns.join(", ")}`);
  }
  const lower = t.columns.map((c) => c.toLowerCase());
  for (const a of ALIASES[kind]) {
    const k = lower.indexOf(a);
    if (k >= 0) return k;
  }
  if (required)
    throw new Error(
      `no ${kind} column found (looked for ${ALIASES[kind].join(", ")}); the file has: ${t.columns.join(", ")}; name it with the column mapping`,
    );
  return -1;
}

export interface MeasuredData extends Profile {
  timeS: Float64Array;
  currentA: Float64Array;
  voltageV?: Float64Array;
  tempK?: Float64Array;
  /** Rows dropped because a value was missing or time did not increase. */
  droppedRows: number;
  /** The sign convention the file's current was read with, and why. */
  currentSign: CurrentSign;
  currentSignReason: string;
}

/** PyBaMM names its variables "Name [unit]" and counts discharge current as positive. */
const PYBAMM_CURRENT = /^current \[a\]$/i;

function currentSignFor(
  column: string,
  given: CurrentSign | undefined,
): { sign: CurrentSign; reason: string } {
  if (given) return { sign: given, reason: "as given" };
  if (PYBAMM_CURRENT.test(column))
    return {
      sign: "discharge-positive",
      reason: `column "${column}" is PyBaMM-style, where positive current discharges`,
    };
  return { sign: "charge-positive", reason: "coxswain's default: positive current charges" };
}

/** Maps a CSV table to charge-positive SI series; rows with a missing value or a non-increasing time are dropped. */
export function toMeasured(t: CsvTable, map: ColumnMapping = {}): MeasuredData {
  const ti = findColumn(t, map.time, "time", true);
  const ci = findColumn(t, map.current, "current", true);
  const vi = findColumn(t, map.voltage, "voltage", false);
  const ki = findColumn(t, map.temperature, "temperature", false);
  const { sign, reason } = currentSignFor(t.columns[ci], map.currentSign);
  const cs = map.currentScale ?? 1;
  const ts = map.timeScale ?? 1;
  const toK = map.temperatureUnit === "K" ? (x: number) => x : celsiusToKelvin;
  const time: number[] = [];
  const cur: number[] = [];
  const volt: number[] = [];
  const temp: number[] = [];
  let dropped = 0;
  for (let r = 0; r < t.rows; r++) {
    const tt = t.data[ti][r] * ts;
    const ii = toChargePositive(t.data[ci][r] * cs, sign);
    const vv = vi >= 0 ? t.data[vi][r] : 0;
    const kk = ki >= 0 ? toK(t.data[ki][r]) : 0;
    if (!Number.isFinite(tt) || !Number.isFinite(ii) || !Number.isFinite(vv) || !Number.isFinite(kk)) {
      dropped++;
      continue;
    }
    if (time.length && tt <= time[time.length - 1]) {
      dropped++;
      continue;
    }
    time.push(tt);
    cur.push(ii);
    volt.push(vv);
    temp.push(kk);
  }
  if (time.length === 0) throw new Error("no usable rows (every row had a missing value)");
  return {
    timeS: Float64Array.from(time),
    currentA: Float64Array.from(cur),
    voltageV: vi >= 0 ? Float64Array.from(volt) : undefined,
    tempK: ki >= 0 ? Float64Array.from(temp) : undefined,
    droppedRows: dropped,
    currentSign: sign,
    currentSignReason: reason,
  };
}

/** Writes columns as CSV text with a header; numbers with up to 9 significant digits. */
export function formatCsv(columns: Record<string, ArrayLike<number>>): string {
  const names = Object.keys(columns);
  const n = names.length ? columns[names[0]].length : 0;
  const lines = [names.join(",")];
  for (let r = 0; r < n; r++) lines.push(names.map((c) => fmt(columns[c][r])).join(","));
  return `${lines.join("\n")}\n`;
}

function fmt(x: number): string {
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toPrecision(9)));
}
