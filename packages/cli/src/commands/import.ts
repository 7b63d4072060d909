import {
  type CellParamsFile,
  formatParamsJson,
  importBpx,
  importChen2020,
  importPybammEcm,
  PYBAMM_ECM_EXAMPLE_THERMAL,
} from "@coxswain/core";
import {
  loadParamsFile,
  readBpxFile,
  readChen2020Dir,
  readPybammEcmDir,
  writeTextFile,
} from "@coxswain/node";
import type { Command } from "commander";
import { numberArg } from "./options.ts";

const NAME_HELP = "name of the parameter set (lower case, digits, . _ -)";

function emit(set: CellParamsFile, out: string | undefined): void {
  const text = formatParamsJson(set);
  if (!out) {
    process.stdout.write(text);
    return;
  }
  writeTextFile(out, text);
  const r0 = set.r0Ohm;
  console.log(
    `wrote ${out}: ${set.name}, ${set.capacityAh} A·h, OCV ${set.ocv.soc.length} points, ${set.rc?.length ?? 0} RC pair(s), R0 ${typeof r0 === "object" && "charge" in r0 ? "split by direction" : "one table"}`,
  );
}

export function registerImport(program: Command): void {
  const imp = program
    .command("import")
    .description(
      "convert published parameter data (PyBaMM ECM tables, BPX, Chen 2020 LG M50) to coxswain sets",
    );

  imp
    .command("pybamm-ecm <dir>")
    .description(
      "PyBaMM ECM lookup tables (*_ocv, *_dudt, *_r0, *_r1, *_c1 … CSV, gz or not); PyBaMM's discharge-positive current is converted",
    )
    .requiredOption("--name <name>", NAME_HELP)
    .requiredOption(
      "--capacity-ah <Q>",
      "cell capacity, A·h (not in the CSVs)",
      numberArg("--capacity-ah", 1e-6, 1e5),
    )
    .requiredOption("--voltage-min <V>", "lower voltage cut-off, V", numberArg("--voltage-min", 0, 10))
    .requiredOption("--voltage-max <V>", "upper voltage cut-off, V", numberArg("--voltage-max", 0, 10))
    .option(
      "--current-a <I>",
      "current magnitude at which the tables' current axis is read, A (default: 1 C)",
      numberArg("--current-a", 1e-9),
    )
    .option(
      "--reference-temp-c <T>",
      "reference temperature, °C",
      numberArg("--reference-temp-c", -60, 100),
      25,
    )
    .option("--description <text>", "one-line description")
    .option("--out <json>", "output file (default: standard output)")
    .action(
      (
        dir: string,
        o: {
          name: string;
          capacityAh: number;
          voltageMin: number;
          voltageMax: number;
          currentA?: number;
          referenceTempC: number;
          description?: string;
          out?: string;
        },
      ) => {
        const set = importPybammEcm(readPybammEcmDir(dir), {
          name: o.name,
          description: o.description,
          capacityAh: o.capacityAh,
          voltageMinV: o.voltageMin,
          voltageMaxV: o.voltageMax,
          referenceTempC: o.referenceTempC,
          representativeCurrentA: o.currentA,
          thermal: PYBAMM_ECM_EXAMPLE_THERMAL,
          provenance: {
            source: `PyBaMM ECM tables in ${dir}`,
            thermal:
              "PyBaMM ECM example defaults: cell 1000 J/K, jig 500 J/K (case node), cell–jig 10 W/K, jig–air 10 W/K",
          },
        });
        emit(set, o.out);
      },
    );

  imp
    .command("chen2020 <dir>")
    .description(
      "LG M50 OCV and electrode OCP curves of Chen 2020 (data/pybamm-chen2020-lgm50) with provisional resistances borrowed from another set",
    )
    .requiredOption("--name <name>", NAME_HELP)
    .requiredOption(
      "--resistances-from <name|file>",
      "parameter set whose R0 / RC tables are scaled by capacity (e.g. pybamm-ecm-example)",
    )
    .option("--capacity-ah <Q>", "capacity, A·h", numberArg("--capacity-ah", 1e-6, 1e5), 5)
    .option("--out <json>", "output file (default: standard output)")
    .action((dir: string, o: { name: string; resistancesFrom: string; capacityAh: number; out?: string }) => {
      const donor = loadParamsFile(o.resistancesFrom);
      const set = importChen2020(readChen2020Dir(dir), {
        name: o.name,
        capacityAh: o.capacityAh,
        resistanceDonor: donor,
        donorName: donor.name,
      });
      emit(set, o.out);
    });

  imp
    .command("bpx <file>")
    .description(
      "BPX JSON (v0.1–0.5 or v1.x, gz or not): OCV from the electrode OCPs and stoichiometry windows; R0 and RC pairs ESTIMATED from transport and kinetics",
    )
    .requiredOption("--name <name>", NAME_HELP)
    .option("--r0-ohm <R>", "use this constant R0 instead of the estimate, Ω", numberArg("--r0-ohm", 0, 100))
    .option(
      "--charge-c-rate <c>",
      "charge current limit as a C-rate (BPX has none)",
      numberArg("--charge-c-rate", 0, 100),
      1,
    )
    .option(
      "--discharge-c-rate <c>",
      "discharge current limit as a C-rate (BPX has none)",
      numberArg("--discharge-c-rate", 0, 100),
      3,
    )
    .option("--out <json>", "output file (default: standard output)")
    .action(
      (
        file: string,
        o: { name: string; r0Ohm?: number; chargeCRate: number; dischargeCRate: number; out?: string },
      ) => {
        const set = importBpx(
          readBpxFile(file),
          { name: o.name, r0Ohm: o.r0Ohm, chargeCRate: o.chargeCRate, dischargeCRate: o.dischargeCRate },
          file,
        );
        emit(set, o.out);
      },
    );
}
