/** Reading and writing the files that coxswain's commands take and give. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { type ColumnMapping, type MeasuredData, parseCsv, toMeasured } from "@coxswain/core";
import { readTextFile } from "./data.ts";

export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Reads a measured CSV (plain or .gz) into charge-positive SI series. */
export function readMeasuredCsv(path: string, mapping: ColumnMapping = {}): MeasuredData {
  const text = readTextFile(path);
  try {
    return toMeasured(parseCsv(text), mapping);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

export function writeTextFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
