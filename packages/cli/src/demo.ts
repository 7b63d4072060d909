/**
 * The interim main job: one LG M50 cell driven through repeated US06 drive cycles (PyBaMM's cell-level current
 * profile, discharge-positive in the file) from full charge at 25 °C until it reaches its lower voltage limit,
 * with a summary per block of cycles. The live BMS with its pack twin replaces this once it exists.
 */
import { CellArray, celsiusToKelvin, kelvinToCelsius } from "@coxswain/core";
import { dataPath, loadCellModelByName, namedParamSets, readMeasuredCsv } from "@coxswain/node";

export function runDemo(): void {
  const name = ["lg-m50", "lg-m50-chen2020"].find((n) => namedParamSets().includes(n));
  if (!name) throw new Error("no LG M50 parameter set is installed (expected lg-m50 or lg-m50-chen2020)");
  const model = loadCellModelByName(name);
  const cycle = readMeasuredCsv(dataPath("drive-cycles/US06.csv"), { currentSign: "discharge-positive" });
  const ambient = celsiusToKelvin(25);
  const cell = new CellArray(model, 1, { soc: 1, tempK: ambient });
  const vMin = model.limits.voltageMinV;
  console.log(
    `coxswain: ${name} (${model.capacityAh} Ah) through repeated US06 cycles from full charge at 25 °C`,
  );
  console.log("cycle   SOC    Vmin [V]  Vmax [V]  T [°C]  energy out [Wh]  heat [Wh]");
  // Empty is the voltage cut-off or, should the cell reach it first at these currents, SOC 0.
  let stop = "";
  let cycles = 0;
  while (!stop && cycles < 1000) {
    cycles++;
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 1; k < cycle.timeS.length; k++) {
      const dt = cycle.timeS[k] - cycle.timeS[k - 1];
      const v = cell.step(0, cycle.currentA[k], dt);
      cell.stepThermal(0, dt, ambient);
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      if (v < vMin) stop = `reached the ${vMin} V cut-off`;
      else if (cell.soc[0] <= 0) stop = "reached SOC 0";
      if (stop) break;
    }
    if (stop || cycles % 5 === 0)
      console.log(
        `${String(cycles).padStart(5)}  ${cell.soc[0].toFixed(3)}  ${lo.toFixed(3).padStart(8)}  ${hi.toFixed(3).padStart(8)}  ${kelvinToCelsius(cell.tCellK[0]).toFixed(1).padStart(6)}  ${(-cell.electricalJ[0] / 3600).toFixed(2).padStart(15)}  ${(cell.heatJ[0] / 3600).toFixed(3).padStart(9)}`,
      );
  }
  const eOut = -cell.electricalJ[0] / 3600;
  console.log(
    `${stop || "stopped after 1000 cycles"} in cycle ${cycles}: ${eOut.toFixed(2)} Wh delivered, ${((1 - cell.soc[0]) * model.capacityAh).toFixed(3)} Ah, ` +
      `${((cell.heatJ[0] / 3600 / eOut) * 100).toFixed(1)} % of it lost as heat`,
  );
}
