import type { Command } from "commander";
import { registerCan } from "./can.ts";
import { registerCell } from "./cell.ts";
import { registerEstimate } from "./estimate.ts";
import { registerFit } from "./fit.ts";
import { registerHil } from "./hil.ts";
import { registerImport } from "./import.ts";
import { registerParams } from "./params.ts";
import { registerReport } from "./report.ts";
import { registerServe } from "./serve.ts";
import { registerStart } from "./start.ts";
import { registerTwin } from "./twin.ts";

/** Every command group of the CLI, in the order `--help` lists them. */
export const commands: ((program: Command) => void)[] = [
  registerStart,
  registerServe,
  registerReport,
  registerCell,
  registerParams,
  registerImport,
  registerEstimate,
  registerFit,
  registerTwin,
  registerCan,
  registerHil,
];
