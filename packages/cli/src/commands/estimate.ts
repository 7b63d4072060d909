import {
  celsiusToKelvin,
  ESTIMATORS,
  type EstimatorKind,
  estimateCurrentLag,
  estimateSoc,
  formatCsv,
  parseFilterTuning,
  socFromOcv,
} from "@coxswain/core";
import { loadCellModelByName, readJsonFile, readMeasuredCsv, writeTextFile } from "@coxswain/node";
import { type Command, Option } from "commander";
import { addColumnOptions, type ColumnOptions, columnMapping, numberArg } from "./options.ts";

interface EstimateCliOptions extends ColumnOptions {
  params: string;
  data: string;
  filter: EstimatorKind;
  initialSoc?: number;
  initialSocSigma?: number;
  tempC?: number;
  capacityAh?: number;
  currentLag?: string;
  tuning?: string;
  hypothesisBank: boolean;
  out?: string;
}

export function registerEstimate(program: Command): void {
  addColumnOptions(
    program
      .command("estimate")
      .description(
        "estimate state of charge from measured current, voltage and temperature (Kalman filter or coulomb counting)",
      )
      .requiredOption(
        "--params <name|file>",
        "cell parameter set (a name from `coxswain params list`, or a JSON file)",
      )
      .requiredOption("--data <csv>", "CSV with time, current, voltage and (optionally) cell temperature")
      .addOption(
        new Option("--filter <kind>", "ekf: extended Kalman, spkf: sigma-point Kalman, cc: coulomb counting")
          .choices([...ESTIMATORS])
          .default("ekf"),
      )
      .option(
        "--initial-soc <z>",
        "initial SOC, fraction 0…1 (default: from the first voltage through the OCV curve)",
        numberArg("--initial-soc", 0, 1),
      )
      .option(
        "--initial-soc-sigma <s>",
        "σ of the initial SOC, fraction (default 0.1)",
        numberArg("--initial-soc-sigma", 1e-6, 1),
      )
      .option(
        "--temp-c <T>",
        "cell temperature, °C, when the file has no temperature column",
        numberArg("--temp-c", -60, 100),
      )
      .option(
        "--capacity-ah <Q>",
        "capacity to count with, A·h (default: the parameter set's)",
        numberArg("--capacity-ah", 1e-6, 1e5),
      )
      .option(
        "--current-lag <s|auto>",
        "time by which the current samples lag the voltage samples, s, or auto (found from the data); re-aligned before estimation",
      )
      .option("--tuning <json>", "filter noise tuning file (see docs/estimation.md)")
      .option(
        "--no-hypothesis-bank",
        "a filter started under load keeps the given SOC instead of racing ±10/±20-point hypotheses (docs/estimation.md)",
      )
      .option(
        "--out <csv>",
        "output CSV: time_s,soc,soc_sigma (+ voltage_pred_V,innovation_V,nis for filters)",
      ),
  ).action((o: EstimateCliOptions) => {
    const model = loadCellModelByName(o.params);
    const data = readMeasuredCsv(o.data, columnMapping(o));
    const tempK = o.tempC !== undefined ? celsiusToKelvin(o.tempC) : undefined;
    const tuning = o.tuning ? parseFilterTuning(readJsonFile(o.tuning), o.tuning) : undefined;
    let currentLagS: number | undefined;
    let lagNote = "";
    if (o.currentLag === "auto") {
      if (!data.voltageV) throw new Error("--current-lag auto needs a voltage column");
      currentLagS = estimateCurrentLag(data.timeS, data.currentA, data.voltageV, 1);
      lagNote = `, current lag ${currentLagS.toFixed(3)} s (found from the data)`;
    } else if (o.currentLag !== undefined) currentLagS = numberArg("--current-lag", -60, 60)(o.currentLag);
    let initialSoc = o.initialSoc;
    let initialSource = "given";
    if (initialSoc === undefined) {
      if (!data.voltageV) throw new Error("without a voltage column give --initial-soc");
      initialSoc = socFromOcv(model, data.voltageV[0], data.tempK?.[0] ?? tempK ?? model.refTempK);
      initialSource = "from the first voltage read as an OCV";
    }
    const r = estimateSoc(
      model,
      { ...data, tempK: tempK !== undefined ? undefined : data.tempK },
      {
        filter: o.filter,
        initialSoc,
        initialSocSigma: o.initialSocSigma,
        tempK,
        capacityAh: o.capacityAh,
        currentLagS,
        tuning,
        hypothesisBank: o.hypothesisBank,
      },
    );
    const cols: Record<string, ArrayLike<number>> = { time_s: r.timeS, soc: r.soc, soc_sigma: r.socSigma };
    if (r.voltagePredictedV && r.innovationV && r.nis) {
      cols.voltage_pred_V = r.voltagePredictedV;
      cols.innovation_V = r.innovationV;
      cols.nis = r.nis;
    }
    if (o.out) writeTextFile(o.out, formatCsv(cols));
    const n = r.soc.length;
    const lines = [
      `${o.filter} on ${model.name}: ${n} rows${data.droppedRows ? ` (${data.droppedRows} unusable rows dropped)` : ""}, initial SOC ${initialSoc.toFixed(3)} (${initialSource})${lagNote}`,
      `SOC ${r.soc[0].toFixed(4)} → ${r.soc[n - 1].toFixed(4)} ± ${r.socSigma[n - 1].toFixed(4)} (1σ)`,
    ];
    if (r.nis && r.innovationV) {
      let nis = 0;
      let se = 0;
      for (let k = 0; k < n; k++) {
        nis += r.nis[k];
        se += r.innovationV[k] ** 2;
      }
      lines.push(
        `voltage innovation RMS ${(Math.sqrt(se / n) * 1000).toFixed(1)} mV, mean NIS ${(nis / n).toFixed(2)} (1 when the noise model fits), ${r.skippedRows} samples gated out, ${r.inflatedRows} inflations`,
      );
    }
    if (o.out) lines.push(`wrote ${o.out}`);
    console.log(lines.join("\n"));
  });
}
