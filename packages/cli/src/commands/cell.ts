import { celsiusToKelvin, formatCsv, kelvinToCelsius, simulateCell } from "@coxswain/core";
import { loadCellModelByName, readMeasuredCsv, writeTextFile } from "@coxswain/node";
import type { Command } from "commander";
import { addColumnOptions, type ColumnOptions, columnMapping, numberArg } from "./options.ts";

export function registerCell(program: Command): void {
  const cell = program.command("cell").description("single-cell model");
  addColumnOptions(
    cell
      .command("simulate")
      .description(
        "run the cell model over a measured or synthetic current profile (CSV with time and current)",
      )
      .requiredOption(
        "--params <name|file>",
        "cell parameter set (a name from `coxswain params list`, or a JSON file)",
      )
      .requiredOption("--data <csv>", "CSV with time and current columns (current positive = charge)")
      .option(
        "--initial-soc <z>",
        "initial state of charge, fraction 0…1",
        numberArg("--initial-soc", 0, 1),
        1,
      )
      .option(
        "--temp-c <T>",
        "ambient (and initial) temperature, °C; without it a measured temperature column is used",
        numberArg("--temp-c", -60, 100),
      )
      .option("--out <csv>", "output CSV: time_s,current_A,voltage_V,soc,temp_K"),
  ).action(
    (
      o: ColumnOptions & { params: string; data: string; initialSoc: number; tempC?: number; out?: string },
    ) => {
      const model = loadCellModelByName(o.params);
      const data = readMeasuredCsv(o.data, columnMapping(o));
      const ambientK = o.tempC !== undefined ? celsiusToKelvin(o.tempC) : undefined;
      const r = simulateCell(model, data, {
        initialSoc: o.initialSoc,
        ambientK,
        initialTempK: ambientK,
        useProfileTemperature: o.tempC === undefined,
      });
      if (o.out)
        writeTextFile(
          o.out,
          formatCsv({
            time_s: r.timeS,
            current_A: r.currentA,
            voltage_V: r.voltageV,
            soc: r.soc,
            temp_K: r.tempK,
          }),
        );
      const lines = [
        `cell ${model.name}: ${r.timeS.length} rows over ${(r.timeS[r.timeS.length - 1] - r.timeS[0]).toFixed(0)} s${data.droppedRows ? ` (${data.droppedRows} unusable rows dropped)` : ""}`,
        `voltage ${min(r.voltageV).toFixed(3)} … ${max(r.voltageV).toFixed(3)} V, SOC ${r.soc[0].toFixed(3)} → ${r.soc[r.soc.length - 1].toFixed(3)}, temperature ${kelvinToCelsius(min(r.tempK)).toFixed(1)} … ${kelvinToCelsius(max(r.tempK)).toFixed(1)} °C`,
        `energy in ${(r.electricalJ / 3600).toFixed(3)} Wh, heat ${(r.heatJ / 3600).toFixed(3)} Wh`,
      ];
      if (data.voltageV) {
        let se = 0;
        let me = 0;
        for (let k = 0; k < r.voltageV.length; k++) {
          const e = r.voltageV[k] - data.voltageV[k];
          se += e * e;
          me = Math.max(me, Math.abs(e));
        }
        lines.push(
          `against the measured voltage: RMSE ${(Math.sqrt(se / r.voltageV.length) * 1000).toFixed(1)} mV, max ${(me * 1000).toFixed(1)} mV`,
        );
      }
      if (data.currentSign === "discharge-positive")
        lines.push(
          `current read as discharge-positive (${data.currentSignReason}) and converted to charge-positive`,
        );
      for (const w of r.warnings) lines.push(`warning: ${w}`);
      if (o.out) lines.push(`wrote ${o.out}`);
      console.log(lines.join("\n"));
    },
  );
}

const min = (a: Float64Array) => a.reduce((x, y) => Math.min(x, y), Infinity);
const max = (a: Float64Array) => a.reduce((x, y) => Math.max(x, y), -Infinity);
