/** Options shared by commands that read measured CSV files. */
import type { ColumnMapping, CurrentSign } from "@coxswain/core";
import { type Command, Option } from "commander";

export function addColumnOptions(cmd: Command): Command {
  return cmd
    .option("--time-col <name|index>", "column with time (default: time_s, 'time [s]', …)")
    .option("--current-col <name|index>", "column with current (default: current_A, 'current [A]', …)")
    .option("--voltage-col <name|index>", "column with terminal voltage (default: voltage_V, …)")
    .option("--temp-col <name|index>", "column with cell temperature (default: temp_cell_C, …)")
    .addOption(
      new Option(
        "--current-sign <sign>",
        "sign convention of the file's current (default: discharge-positive for PyBaMM-style 'Current [A]' columns, else charge-positive)",
      ).choices(["charge-positive", "discharge-positive"]),
    )
    .option("--current-scale <factor>", "multiplier to amperes (0.001 for mA)", parseFloat)
    .option("--time-scale <factor>", "multiplier to seconds (60 for minutes)", parseFloat)
    .addOption(
      new Option("--temp-unit <unit>", "unit of the temperature column").choices(["C", "K"]).default("C"),
    );
}

export interface ColumnOptions {
  timeCol?: string;
  currentCol?: string;
  voltageCol?: string;
  tempCol?: string;
  currentSign?: CurrentSign;
  currentScale?: number;
  timeScale?: number;
  tempUnit: "C" | "K";
}

export function columnMapping(o: ColumnOptions): ColumnMapping {
  return {
    time: o.timeCol,
    current: o.currentCol,
    voltage: o.voltageCol,
    temperature: o.tempCol,
    currentSign: o.currentSign,
    currentScale: o.currentScale,
    timeScale: o.timeScale,
    temperatureUnit: o.tempUnit,
  };
}

/** Parses a number option and names it in the error. */
export function numberArg(name: string, lo = -Infinity, hi = Infinity) {
  return (v: string): number => {
    const x = Number(v);
    if (!Number.isFinite(x) || x < lo || x > hi)
      throw new Error(`${name} must be a number in [${lo}, ${hi}], got "${v}"`);
    return x;
  };
}
