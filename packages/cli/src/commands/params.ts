import { kelvinToCelsius } from "@coxswain/core";
import { loadCellModelByName, loadParamsFile, namedParamSets, resolveParamsPath } from "@coxswain/node";
import type { Command } from "commander";

export function registerParams(program: Command): void {
  const params = program.command("params").description("cell parameter sets");
  params
    .command("list")
    .description("list the named parameter sets shipped with coxswain")
    .action(() => {
      for (const name of namedParamSets()) {
        const f = loadParamsFile(name);
        console.log(
          `${name.padEnd(24)} ${f.capacityAh.toString().padStart(7)} Ah  ${f.rc?.length ?? 0} RC  ${f.description ?? ""}`,
        );
      }
    });
  params
    .command("check <name|file>")
    .description("validate a parameter set and summarise it")
    .action((p: string) => {
      const m = loadCellModelByName(p);
      const l = m.limits;
      console.log(
        [
          `${resolveParamsPath(p)}: valid`,
          `  ${m.name}: ${m.capacityAh} Ah, ${m.rc.length} RC pair(s), hysteresis ${m.hysteresis ? "yes" : "no"}, anode curve ${m.anode ? "yes" : "no"}`,
          `  OCV ${m.ocv.values[0].toFixed(3)} … ${m.ocv.values[m.ocv.soc.length - 1].toFixed(3)} V over ${m.ocv.tempK.length} temperature(s)`,
          `  limits ${l.voltageMinV}…${l.voltageMaxV} V, charge ≤ ${l.chargeCurrentMaxA} A at ${kelvinToCelsius(l.chargeTempMinK)}…${kelvinToCelsius(l.chargeTempMaxK)} °C, discharge ≤ ${l.dischargeCurrentMaxA} A at ${kelvinToCelsius(l.dischargeTempMinK)}…${kelvinToCelsius(l.dischargeTempMaxK)} °C`,
        ].join("\n"),
      );
    });
}
