/**
 * `coxswain fit`: identify a cell parameter set from lab tests (OCV test, pulse/HPPC tests, capacity tests);
 * `coxswain fit validate`: score a parameter set open-loop against measured files (voltage RMSE and maximum error).
 */
import { basename, resolve } from "node:path";
import {
  type CellModel,
  compileCellParams,
  type FitResult,
  type FitSeries,
  fitCell,
  fitReportHtml,
  kelvinToCelsius,
  MAX_RC_PAIRS,
  parseCellParams,
  pulseFitsCsv,
  type ValidationRun,
  validateAgainst,
} from "@coxswain/core";
import {
  loadCellModelByName,
  readFitSeries,
  readJsonFile,
  readMeasuredCsv,
  readOcvTable,
  writeTextFile,
} from "@coxswain/node";
import type { Command } from "commander";
import { addColumnOptions, type ColumnOptions, columnMapping, numberArg } from "./options.ts";

interface FitOptions extends ColumnOptions {
  name: string;
  base?: string;
  ocvTest?: string;
  ocvTable?: string;
  pulses: string[];
  capacityTest?: string[];
  capacityAh?: number;
  rcPairs: number;
  referenceCurrent?: number;
  slowRc: boolean;
  wholeTest: boolean;
  longRc?: boolean;
  currentAxis?: boolean;
  arrheniusBetweenRows?: boolean;
  ahCol?: string;
  ahFromFull?: boolean;
  untilEmpty?: boolean;
  recordCols?: string;
  socCol?: string;
  out?: string;
  refineTests?: string[];
  dynamicShare: number;
  validate?: string[];
  validateTempCol?: string;
  initialSoc: number;
  report?: string;
}

/** `file.csv@25` gives a file without a temperature column its test temperature in °C. */
function fileAndTemp(spec: string): { path: string; tempC?: number } {
  const at = spec.lastIndexOf("@");
  if (at <= 0) return { path: spec };
  const t = Number(spec.slice(at + 1));
  if (!Number.isFinite(t) || t < -60 || t > 100)
    throw new Error(`"${spec}": the temperature after @ must be a number of °C in [-60, 100]`);
  return { path: spec.slice(0, at), tempC: t };
}

export function registerFit(program: Command): void {
  const fit = addColumnOptions(
    program
      .command("fit")
      .description("identify a cell parameter set (OCV, R0, RC pairs, hysteresis) from lab tests")
      .option("--name <name>", "name of the parameter set (lower case, digits, . _ -); required")
      .option(
        "--pulses <csv...>",
        "pulse/HPPC test files (file.csv@25 gives a file without temperature column its °C); required",
      )
      .option("--ocv-test <csv>", "low-rate discharge followed by a low-rate charge (pseudo-OCV test)")
      .option(
        "--ocv-table <csv>",
        "OCV table instead of a test: SOC (% or fraction), OCV [V], optional half-gap [V]",
      )
      .option("--capacity-test <csv...>", "full discharges whose capacity is reported")
      .option(
        "--capacity-ah <Ah>",
        "SOC scale of the set (default: the largest discharge of the OCV and capacity tests)",
        numberArg("--capacity-ah", 0.001, 10000),
      )
      .option(
        "--rc-pairs <n>",
        `RC pairs fitted to the pulses (1–${MAX_RC_PAIRS}, with the slow pair at most ${MAX_RC_PAIRS - 1})`,
        numberArg("--rc-pairs", 1, MAX_RC_PAIRS),
        2,
      )
      .option(
        "--reference-current <A>",
        "pulse current the tables represent (the nearest pulses per SOC level; default: median of all pulses)",
        numberArg("--reference-current", 1e-6, 1e6),
      )
      .option("--no-slow-rc", "do not add a slow RC pair from the relaxation after long steps")
      .option(
        "--long-rc",
        `whole-test refinement with a pair slower than the slow pair (with ${MAX_RC_PAIRS - 1} pulse pairs the fastest is folded into R0 to make room)`,
      )
      .option(
        "--current-axis",
        "give R0 a current axis from pulses at several currents (a multiplier over |I| per test temperature)",
      )
      .option(
        "--arrhenius-between-rows",
        'write temperatureInterpolation "arrhenius": the model interpolates R0, R_k, C_k with ln linear in 1/T between the test temperatures (no filled rows)',
      )
      .option(
        "--no-whole-test",
        "keep the per-pulse tables (no refinement over the whole tests: pulses, long discharges, rests)",
      )
      .option(
        "--base <json>",
        "fields the tests cannot give (limits, thermal, description), copied into the set",
      )
      .option(
        "--ah-col <name>",
        "column with the tester's amp-hour counter (default ah_Ah if present; none to integrate)",
      )
      .option("--ah-from-full", "the amp-hour counter reads 0 at full charge (tests split over files)")
      .option("--until-empty", "ignore what follows the end of a pulse file's discharge and its rest")
      .option(
        "--record-cols <names>",
        "comma-separated columns whose change starts a new record (pulse files)",
      )
      .option("--soc-col <name>", "column with each record's starting SOC (% or fraction)")
      .option("--out <json>", "write the parameter set here")
      .option(
        "--refine-tests <csv...>",
        "dynamic tests (drive cycles) the whole-test refinement scores beside the pulse tests, read like the validation files (file.csv@0.8 starts one at SOC 0.8; default 1)",
      )
      .option(
        "--dynamic-share <f>",
        "share of each temperature's refinement score that its --refine-tests get together",
        numberArg("--dynamic-share", 0.01, 0.99),
        0.5,
      )
      .option(
        "--validate <csv...>",
        "files to score the fitted set on, never used by the fit (file.csv@0.3 starts that file at SOC 0.3)",
      )
      .option(
        "--validate-temp-col <name>",
        "cell temperature column of the validation files, when it differs",
      )
      .option(
        "--initial-soc <z>",
        "SOC at the start of each validation file",
        numberArg("--initial-soc", 0, 1),
        1,
      )
      .option("--report <dir>", "write report.html (plots, figures) and pulses.csv into this directory"),
  ).action((o: FitOptions) => {
    // Checked here rather than as required options, so that `coxswain fit validate` does not ask for them.
    if (!o.name) throw new Error("coxswain fit: --name <name> is required");
    if (!o.pulses?.length)
      throw new Error("coxswain fit: --pulses <csv...> is required (pulse or HPPC tests)");
    const validationColumns = { ...o, tempCol: o.validateTempCol ?? o.tempCol };
    const refineTests = (o.refineTests ?? []).map((spec) => {
      const { path, initialSoc } = fileAndSoc(spec, 1);
      const scored = (o.validate ?? []).find((v) => resolve(fileAndSoc(v, 1).path) === resolve(path));
      if (scored)
        throw new Error(
          `coxswain fit: ${path} is both a refinement test and a validation file (${scored}): a fit never uses the files it is scored on`,
        );
      const d = readMeasuredCsv(path, columnMapping(validationColumns));
      if (!d.voltageV || !d.tempK)
        throw new Error(`${path}: a refinement test needs voltage and cell temperature columns`);
      return {
        source: fileName(spec),
        timeS: d.timeS,
        currentA: d.currentA,
        voltageV: d.voltageV,
        tempK: d.tempK,
        initialSoc,
      };
    });
    const mapping = columnMapping(o);
    const seriesOpts = {
      ahColumn: o.ahCol,
      ahFromFull: o.ahFromFull,
      recordColumns: o.recordCols ? o.recordCols.split(",").map((s) => s.trim()) : undefined,
      socColumn: o.socCol,
    };
    const one = (path: string, extra = {}): FitSeries => {
      const s = readFitSeries(path, mapping, { ...seriesOpts, ...extra });
      if (s.length !== 1) throw new Error(`${path}: expected one record, found ${s.length}`);
      return s[0];
    };
    const pulseTests = o.pulses.flatMap((spec) => {
      const { path, tempC } = fileAndTemp(spec);
      return readFitSeries(path, mapping, { ...seriesOpts, untilEmpty: o.untilEmpty }).map((series) => ({
        series,
        tempC,
      }));
    });
    const base = o.base ? (readJsonFile(o.base) as Record<string, unknown>) : {};
    const started = performance.now();
    const result = fitCell({
      name: o.name,
      capacityAh: o.capacityAh,
      lowRate: o.ocvTest ? one(o.ocvTest) : undefined,
      ocvTable: o.ocvTable ? readOcvTable(o.ocvTable) : undefined,
      pulseTests,
      capacityTests: (o.capacityTest ?? []).map((p) => one(p)),
      rcPairs: o.rcPairs,
      referenceCurrentA: o.referenceCurrent,
      slowRc: o.slowRc,
      wholeTest: o.wholeTest,
      refineTests,
      dynamicShare: o.dynamicShare,
      longRc: o.longRc,
      currentAxis: o.currentAxis,
      arrheniusBetweenRows: o.arrheniusBetweenRows,
      base,
      provenance: {
        tool: "coxswain fit",
        inputs: {
          ocvTest: o.ocvTest && fileName(o.ocvTest),
          ocvTable: o.ocvTable && fileName(o.ocvTable),
          pulses: o.pulses.map((p) => fileName(p)),
          capacityTests: o.capacityTest?.map((p) => fileName(p)),
          refineTests: o.refineTests?.map((p) => fileName(p)),
        },
      },
    });
    const fitSeconds = (performance.now() - started) / 1000;
    const model = compileCellParams(parseCellParams(result.params, `fitted set ${o.name}`));
    const runs = (o.validate ?? []).map((path) => ({
      path,
      run: validateFile(model, path, validationColumns, o.initialSoc),
    }));
    if (runs.length)
      (result.params as { validation?: unknown }).validation = validationRecord(runs, o.initialSoc);
    console.log(summary(result, fitSeconds));
    if (runs.length) console.log(`\n${validationTable(runs)}`);
    for (const w of result.warnings) console.log(`warning: ${w}`);
    if (o.out) {
      writeTextFile(o.out, `${JSON.stringify(result.params, null, 2)}\n`);
      console.log(`wrote ${o.out}`);
    }
    if (o.report) writeReport(o.report, model, result, runs);
  });

  addColumnOptions(
    fit
      .command("validate")
      .description(
        "simulate a parameter set open-loop with the measured current of each file and score the voltage",
      )
      .requiredOption("--params <name|file>", "cell parameter set")
      .requiredOption(
        "--data <csv...>",
        "measured files (time, current, voltage, optionally cell temperature)",
      )
      .option("--initial-soc <z>", "SOC at the start of each file", numberArg("--initial-soc", 0, 1), 1)
      .option("--report <dir>", "write report.html with measured against simulated voltage"),
  ).action((_local: unknown, cmd: Command) => {
    // The column options are shared with `coxswain fit`, which parses them first: read them merged.
    const o = cmd.optsWithGlobals() as ColumnOptions & {
      params: string;
      data: string[];
      initialSoc: number;
      report?: string;
    };
    const model = loadCellModelByName(o.params);
    const runs = o.data.map((path) => ({ path, run: validateFile(model, path, o, o.initialSoc) }));
    console.log(`${model.name}: open-loop from SOC ${o.initialSoc}, measured current and cell temperature\n`);
    console.log(validationTable(runs));
    if (o.report) writeReport(o.report, model, null, runs);
  });
}

/** `file.csv@0.5` gives one validation file its own starting SOC. */
function fileAndSoc(spec: string, fallback: number): { path: string; initialSoc: number } {
  const at = spec.lastIndexOf("@");
  if (at <= 0) return { path: spec, initialSoc: fallback };
  const z = Number(spec.slice(at + 1));
  if (!Number.isFinite(z) || z < 0 || z > 1)
    throw new Error(`"${spec}": the starting SOC after @ must be a fraction in [0, 1]`);
  return { path: spec.slice(0, at), initialSoc: z };
}

function validateFile(model: CellModel, spec: string, o: ColumnOptions, fallbackSoc: number): ValidationRun {
  const { path, initialSoc } = fileAndSoc(spec, fallbackSoc);
  const data = readMeasuredCsv(path, columnMapping(o));
  if (!data.voltageV) throw new Error(`${path}: no voltage column to score against`);
  return validateAgainst(model, { ...data, voltageV: data.voltageV }, initialSoc);
}

type Runs = { path: string; run: ValidationRun }[];

/** A file's name for tables: no folder, no .gz, the starting SOC kept when one was given. */
const fileName = (spec: string) => basename(spec).replace(/\.gz(@|$)/, "$1");

function meanTempC(r: ValidationRun): number {
  const t = r.simulation.tempK;
  let s = 0;
  for (const v of t) s += v;
  return kelvinToCelsius(s / t.length);
}

/** Markdown table of the figures per file. */
export function validationTable(runs: Runs): string {
  const lines = [
    "| file | rows | duration [h] | charge [Ah] | mean T [°C] | RMSE [mV] | max error [mV] | mean error [mV] |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const { path, run } of runs) {
    const f = run.figures;
    lines.push(
      `| ${fileName(path)} | ${f.rows} | ${(f.durationS / 3600).toFixed(2)} | ${f.chargeAh.toFixed(3)} | ${meanTempC(run).toFixed(1)} | ${(f.rmseV * 1000).toFixed(1)} | ${(f.maxErrV * 1000).toFixed(0)} | ${(f.meanErrV * 1000).toFixed(1)} |`,
    );
  }
  return lines.join("\n");
}

function validationRecord(runs: Runs, initialSoc: number) {
  return {
    method: `open-loop simulation with the measured current and cell temperature from SOC ${initialSoc}; voltage error over the whole file`,
    files: runs.map(({ path, run }) => ({
      file: fileName(path),
      rmseMv: Number((run.figures.rmseV * 1000).toFixed(1)),
      maxErrMv: Number((run.figures.maxErrV * 1000).toFixed(0)),
    })),
  };
}

function summary(r: FitResult, seconds: number): string {
  const lines = [
    `${r.params.name}: SOC scale ${r.capacityAh} Ah, ${r.temperatures.length} test temperature(s), fitted in ${seconds.toFixed(1)} s`,
  ];
  for (const c of r.capacities)
    lines.push(`  capacity ${c.dischargeAh.toFixed(3)} Ah discharged in ${basename(c.source)}`);
  if (r.gamma !== undefined) lines.push(`  hysteresis rate γ = ${r.gamma.toFixed(1)}`);
  lines.push(`  Arrhenius activation energy ${(r.arrheniusEa / 1000).toFixed(1)} kJ/mol`);
  for (const t of r.temperatures) {
    const rms = t.pulses.map((p) => p.rmsV * 1000).sort((a, b) => a - b);
    lines.push(
      `  ${t.tempC} °C: ${t.pulses.length} pulses (median fit RMSE ${rms[rms.length >> 1].toFixed(2)} mV, worst ${rms[rms.length - 1].toFixed(2)} mV), ${t.slow.length} slow relaxations, ${t.restPoints.length} rest points`,
    );
    if (t.r0CurrentScale && r.params.r0CurrentScale)
      lines.push(
        `    R0 × ${t.r0CurrentScale.map((x, j) => `${x.toFixed(3)} at ${r.params.r0CurrentScale?.currentA[j]} A`).join(", ")}`,
      );
    const w = t.wholeTest;
    if (w)
      lines.push(
        `    whole tests (${t.timelines.length} timeline(s)): time-weighted RMSE ${(w.rmsBeforeV * 1000).toFixed(1)} mV per pulse fits → ${(w.rmsAfterV * 1000).toFixed(1)} mV refined (${w.iterations} iterations)`,
      );
  }
  return lines.join("\n");
}

function writeReport(dir: string, model: CellModel, result: FitResult | null, runs: Runs): void {
  const html = fitReportHtml({
    model,
    fit: result,
    validation: runs.map(({ path, run }) => ({ name: fileName(path), run })),
  });
  writeTextFile(`${dir}/report.html`, html);
  if (result) writeTextFile(`${dir}/pulses.csv`, pulseFitsCsv(result));
  console.log(`wrote ${dir}/report.html${result ? ` and ${dir}/pulses.csv` : ""}`);
}
