/**
 * The project's committed data (repo-root `data/`): measured cells, parameter tables, drive cycles. Large files
 * are stored gzipped; readers take `name.csv` or `name.csv.gz` alike.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

export const DATA_DIR = fileURLToPath(new URL("../../../data/", import.meta.url));

/** Path of a committed data file, relative to data/; finds the gzipped copy when only that exists. */
export function dataPath(relative: string): string {
  const p = join(DATA_DIR, relative);
  if (existsSync(p)) return p;
  if (existsSync(`${p}.gz`)) return `${p}.gz`;
  throw new Error(`no data file ${relative} (nor ${relative}.gz) under ${DATA_DIR}`);
}

/** Reads a text file, gunzipping it when its name ends in .gz. */
export function readTextFile(path: string): string {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
  return path.endsWith(".gz") ? gunzipSync(buf).toString("utf8") : buf.toString("utf8");
}
