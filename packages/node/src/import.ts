/** File-reading glue for the parameter importers (the importers themselves are pure, in @coxswain/core). */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { Chen2020Files, PybammEcmTables } from "@coxswain/core";
import { readTextFile } from "./data.ts";

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (e) {
    throw new Error(`cannot read directory ${dir}: ${(e as Error).message}`);
  }
}

/** The one file in `dir` whose name (without .csv/.csv.gz) matches `pattern`, read as text; or undefined. */
function findFile(dir: string, names: string[], pattern: RegExp, what: string, required: true): string;
function findFile(
  dir: string,
  names: string[],
  pattern: RegExp,
  what: string,
  required: false,
): string | undefined;
function findFile(dir: string, names: string[], pattern: RegExp, what: string, required: boolean) {
  const hits = names.filter((n) => pattern.test(n.toLowerCase().replace(/\.csv(\.gz)?$/, "")));
  if (hits.length > 1) throw new Error(`${dir}: more than one ${what} file: ${hits.join(", ")}`);
  if (hits.length === 0) {
    if (required)
      throw new Error(
        `${dir}: no ${what} file (a CSV whose name matches ${pattern}); files: ${names.join(", ")}`,
      );
    return undefined;
  }
  return readTextFile(join(dir, hits[0]));
}

/**
 * Reads a directory of PyBaMM ECM CSVs named like PyBaMM's example: `*_ocv.csv`, `*_dudt.csv`, `*_r0.csv`,
 * `*_r1.csv`, `*_c1.csv`, … (optionally gzipped).
 */
export function readPybammEcmDir(dir: string): PybammEcmTables {
  const names = listDir(dir).filter((n) => /\.csv(\.gz)?$/i.test(n));
  const rc: { r: string; c: string }[] = [];
  for (let k = 1; k <= 3; k++) {
    const r = findFile(dir, names, new RegExp(`(^|_)r${k}$`), `R${k}`, false);
    const c = findFile(dir, names, new RegExp(`(^|_)c${k}$`), `C${k}`, false);
    if (!r && !c) break;
    if (!r || !c) throw new Error(`${dir}: RC pair ${k} needs both an r${k} and a c${k} file`);
    rc.push({ r, c });
  }
  return {
    ocv: findFile(dir, names, /(^|_)ocv$/, "OCV", true),
    r0: findFile(dir, names, /(^|_)r0$/, "R0", true),
    rc,
    dUdT: findFile(dir, names, /(^|_)dudt$/, "dU/dT", false),
  };
}

/** Reads the Chen 2020 LG M50 folder: the derived full-cell OCV and the graphite and NMC OCP curves. */
export function readChen2020Dir(dir: string): Chen2020Files {
  const names = listDir(dir).filter((n) => /\.csv(\.gz)?$/i.test(n));
  return {
    fullCellOcv: findFile(dir, names, /fullcell_ocv/, "full-cell OCV", true),
    anodeOcp: findFile(dir, names, /^graphite.*ocp/, "graphite OCP", true),
    cathodeOcp: findFile(dir, names, /^nmc.*ocp/, "NMC OCP", true),
  };
}

/** Reads a BPX JSON file (plain or .gz). */
export function readBpxFile(path: string): unknown {
  const text = readTextFile(path);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}
