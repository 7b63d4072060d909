/**
 * Named cell parameter sets: `--params <name>` resolves to packages/core/params/<name>.json, anything that looks
 * like a path (contains a slash or ends in .json) is read as a file.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CellModel, type CellParamsFile, compileCellParams, parseCellParams } from "@coxswain/core";
import { readJsonFile } from "./files.ts";

export const PARAMS_DIR = fileURLToPath(new URL("../../core/params/", import.meta.url));

export function namedParamSets(): string[] {
  if (!existsSync(PARAMS_DIR)) return [];
  return readdirSync(PARAMS_DIR)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -5))
    .sort();
}

export function resolveParamsPath(nameOrPath: string): string {
  if (nameOrPath.includes("/") || nameOrPath.endsWith(".json")) return nameOrPath;
  const p = join(PARAMS_DIR, `${nameOrPath}.json`);
  if (!existsSync(p))
    throw new Error(
      `no parameter set named "${nameOrPath}"; named sets: ${namedParamSets().join(", ") || "(none)"}; or give a file path`,
    );
  return p;
}

export function loadParamsFile(nameOrPath: string): CellParamsFile {
  const path = resolveParamsPath(nameOrPath);
  return parseCellParams(readJsonFile(path), path);
}

export function loadCellModelByName(nameOrPath: string): CellModel {
  return compileCellParams(loadParamsFile(nameOrPath));
}
