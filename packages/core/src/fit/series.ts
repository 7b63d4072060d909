/**
 * Measured lab series prepared for fitting: charge-positive SI columns plus the charge moved since the start of
 * the record (from the tester's amp-hour counter when the file has one, else integrated from the current with
 * the row convention of simulate.ts: row k's current flows over (t[k−1], t[k]]).
 *
 * A file may hold several records (the LG M50 pulse file holds one per cell and SOC set-point, each with its own
 * time base): records are split where a record column changes value or where time runs backwards.
 */
import { type ColumnMapping, type CsvTable, toMeasured } from "../io/csv.ts";

export interface FitSeries {
  /** Where it came from (file name and record), for reports. */
  source: string;
  timeS: Float64Array;
  currentA: Float64Array;
  voltageV: Float64Array;
  /** Measured cell temperature, K (absent when the file has none). */
  tempK?: Float64Array;
  /** Charge moved into the cell since the first row, A·h (negative after a net discharge). */
  chargeAh: Float64Array;
  /** SOC at the first row when the file states it (a set-point column), else undefined. */
  initialSoc?: number;
  /** The amp-hour counter at the first row when the counter reads 0 at full charge (see `ahFromFull`). */
  chargeFromFullAh?: number;
}

export interface SeriesOptions {
  /** Column with the tester's amp-hour counter (default: `ah_Ah` when present; "none" to integrate). */
  ahColumn?: string;
  /** Columns whose change of value starts a new record. */
  recordColumns?: string[];
  /** Column giving the SOC at the start of each record, in percent or as a fraction (by its magnitude). */
  socColumn?: string;
  /**
   * The amp-hour counter reads 0 at full charge (a test split over several files that share one counter, such as
   * the Panasonic HPPC pulses and their inter-pulse discharges): the SOC follows from the counter itself.
   */
  ahFromFull?: boolean;
  /**
   * Drop what follows the end of the test's discharge (the lowest charge) and the rest after it: later rows belong
   * to other tests.
   */
  untilEmpty?: boolean;
}

const AH_ALIASES = ["ah_ah", "capacity [ah]", "charge_ah"];

function columnIndex(t: CsvTable, name: string, what: string): number {
  const k = t.columns.indexOf(name);
  if (k < 0) throw new Error(`no column "${name}" for ${what}; the file has: ${t.columns.join(", ")}`);
  return k;
}

/** Splits a measured CSV table into fit series (one per record). */
export function toFitSeries(
  table: CsvTable,
  source: string,
  mapping: ColumnMapping = {},
  opts: SeriesOptions = {},
): FitSeries[] {
  let ahCol = -1;
  if (opts.ahColumn !== undefined && opts.ahColumn !== "none")
    ahCol = columnIndex(table, opts.ahColumn, "amp-hours");
  else if (opts.ahColumn === undefined)
    ahCol = table.columns.findIndex((c) => AH_ALIASES.includes(c.toLowerCase()));
  const recordCols = (opts.recordColumns ?? []).map((c) => columnIndex(table, c, "records"));
  const socCol = opts.socColumn !== undefined ? columnIndex(table, opts.socColumn, "initial SOC") : -1;
  const timeCol = mapping.time !== undefined ? columnIndex(table, mapping.time, "time") : findTime(table);
  const ts = mapping.timeScale ?? 1;
  const sign = mapping.currentSign === "discharge-positive" ? -1 : 1;

  // Record boundaries.
  const starts = [0];
  for (let r = 1; r < table.rows; r++) {
    const changed = recordCols.some((c) => !sameValue(table.data[c][r], table.data[c][r - 1]));
    if (changed || table.data[timeCol][r] < table.data[timeCol][r - 1]) starts.push(r);
  }
  starts.push(table.rows);

  const out: FitSeries[] = [];
  for (let s = 0; s + 1 < starts.length; s++) {
    const a = starts[s];
    const b = starts[s + 1];
    const sub: CsvTable = {
      columns: table.columns,
      data: table.data.map((col) => col.slice(a, b)),
      rows: b - a,
    };
    fillGaps(sub, mapping.temperature, "temperature");
    const m = toMeasured(sub, mapping);
    if (!m.voltageV) throw new Error(`${source}: no voltage column (fitting needs the measured voltage)`);
    let chargeAh = new Float64Array(m.timeS.length);
    let chargeFromFullAh: number | undefined;
    if (ahCol >= 0) {
      // Match the kept rows by time (toMeasured keeps times as they are, scaled).
      const tRaw = sub.data[timeCol];
      const ahRaw = sub.data[ahCol];
      let j = 0;
      let ah0 = Number.NaN;
      for (let k = 0; k < m.timeS.length; k++) {
        while (j < sub.rows && tRaw[j] * ts !== m.timeS[k]) j++;
        const ah = j < sub.rows ? sign * ahRaw[j] : Number.NaN;
        if (!Number.isFinite(ah))
          throw new Error(
            `${source}: amp-hour column "${table.columns[ahCol]}" has no number at t = ${m.timeS[k]} s`,
          );
        if (k === 0) ah0 = ah;
        chargeAh[k] = ah - ah0;
      }
      if (opts.ahFromFull) chargeFromFullAh = ah0;
    } else {
      if (opts.ahFromFull)
        throw new Error(`${source}: ahFromFull needs an amp-hour column (found none; name it with ahColumn)`);
      for (let k = 1; k < m.timeS.length; k++)
        chargeAh[k] = chargeAh[k - 1] + (m.currentA[k] * (m.timeS[k] - m.timeS[k - 1])) / 3600;
    }
    let keep = m.timeS.length;
    if (opts.untilEmpty) {
      let lowest = 0;
      for (let k = 1; k < keep; k++) if (chargeAh[k] < chargeAh[lowest]) lowest = k;
      // Keep the rest that follows the end of the discharge, up to the next current.
      let k = lowest + 1;
      while (k < keep && Math.abs(m.currentA[k]) < 0.05) k++;
      keep = k;
      chargeAh = chargeAh.slice(0, keep);
    }
    let initialSoc: number | undefined;
    if (socCol >= 0) {
      const v = sub.data[socCol][0];
      if (!Number.isFinite(v))
        throw new Error(`${source}: SOC column "${opts.socColumn}" is empty at a record start`);
      initialSoc = Math.abs(v) > 1.5 ? v / 100 : v;
    }
    const label = recordCols.length
      ? `${source} [${recordCols.map((c) => `${table.columns[c]}=${table.data[c][a]}`).join(", ")}]`
      : starts.length > 2
        ? `${source} #${s + 1}`
        : source;
    out.push({
      source: label,
      timeS: m.timeS.slice(0, keep),
      currentA: m.currentA.slice(0, keep),
      voltageV: m.voltageV.slice(0, keep),
      tempK: m.tempK?.slice(0, keep),
      chargeAh,
      initialSoc,
      chargeFromFullAh,
    });
  }
  return out;
}

function sameValue(x: number, y: number): boolean {
  return x === y || (Number.isNaN(x) && Number.isNaN(y));
}

function findTime(t: CsvTable): number {
  const lower = t.columns.map((c) => c.toLowerCase());
  for (const a of ["time_s", "time [s]", "time(s)", "time", "t", "test_time_s"]) {
    const k = lower.indexOf(a);
    if (k >= 0) return k;
  }
  throw new Error(
    `no time column found; the file has: ${t.columns.join(", ")}; name it with the column mapping`,
  );
}

/**
 * Fills missing values of an optional column (a thermocouple that drops out) from the previous reading, so that a
 * gap does not cost the row its voltage and current.
 */
function fillGaps(t: CsvTable, name: string | undefined, kind: string): void {
  const lower = t.columns.map((c) => c.toLowerCase());
  const k =
    name !== undefined
      ? t.columns.indexOf(name)
      : ["temp_cell_c", "temperature_c", "temp_c", "temperature [degc]"]
          .map((a) => lower.indexOf(a))
          .find((i) => i >= 0);
  if (k === undefined || k < 0) return;
  const col = Float64Array.from(t.data[k]);
  let last = Number.NaN;
  for (let r = 0; r < col.length; r++) {
    if (Number.isFinite(col[r])) last = col[r];
    else col[r] = last;
  }
  // Leading gap: take the first reading.
  const first = col.find((v) => Number.isFinite(v));
  if (first === undefined) throw new Error(`the ${kind} column "${t.columns[k]}" has no numbers in a record`);
  for (let r = 0; r < col.length && !Number.isFinite(col[r]); r++) col[r] = first;
  t.data = t.data.map((c, i) => (i === k ? col : c));
}
