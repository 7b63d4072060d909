/** Reading the files of a parameter fit: measured test series and OCV tables (plain or gzipped CSV). */
import {
  type ColumnMapping,
  type FitSeries,
  type OcvTableInput,
  parseCsv,
  type SeriesOptions,
  toFitSeries,
} from "@coxswain/core";
import { readTextFile } from "./data.ts";

/** Reads a measured test file into fit series (one per record). */
export function readFitSeries(
  path: string,
  mapping: ColumnMapping = {},
  opts: SeriesOptions = {},
): FitSeries[] {
  try {
    return toFitSeries(parseCsv(readTextFile(path)), path, mapping, opts);
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(msg.startsWith(path) ? msg : `${path}: ${msg}`);
  }
}

/**
 * Reads an OCV table: first column SOC (percent when its largest value exceeds 1.5, else a fraction), second the
 * OCV in volts, an optional third the hysteresis half-gap in volts.
 */
export function readOcvTable(path: string): OcvTableInput {
  const t = parseCsv(readTextFile(path));
  if (t.columns.length < 2)
    throw new Error(
      `${path}: an OCV table needs at least two columns (SOC, OCV); found ${t.columns.join(", ")}`,
    );
  const soc = Array.from(t.data[0]);
  const pct = Math.max(...soc) > 1.5;
  for (let i = 0; i < t.rows; i++) {
    if (!Number.isFinite(soc[i]) || !Number.isFinite(t.data[1][i]))
      throw new Error(`${path}: row ${i + 1} has no number in ${t.columns[0]} or ${t.columns[1]}`);
    if (i > 0 && !(soc[i] > soc[i - 1]))
      throw new Error(
        `${path}: ${t.columns[0]} must increase; row ${i + 1} has ${soc[i]} after ${soc[i - 1]}`,
      );
  }
  return {
    soc: soc.map((z) => (pct ? z / 100 : z)),
    ocvV: Array.from(t.data[1]),
    hysteresisV: t.columns.length > 2 ? Array.from(t.data[2]) : undefined,
  };
}
