/**
 * Cold-weather derating from the model. In the cold a cell's resistance rises, so at low SOC it can no longer
 * deliver the power the host needs without dropping below its minimum voltage: the usable "empty" point moves
 * up. This finds it: the lowest SOC at which a rested group can still deliver `requiredCellPowerW` for
 * `horizonS` (the state-of-power solve at that temperature), and the power it can deliver at each SOC is the
 * state of power itself, so the same solver limits power and raises the empty point. Reported to the host, the
 * raised empty point keeps the remaining-energy figure honest instead of letting the pack "die" at 20 % SOC.
 */
import type { CellModel } from "../cell/params.ts";
import { GroupStates, SopSolver, type SopWindow } from "../sop/predict.ts";

export class ColdDerating {
  readonly model: CellModel;
  private readonly solver: SopSolver;
  private readonly state: GroupStates;

  constructor(model: CellModel, window: SopWindow) {
    this.model = model;
    this.solver = new SopSolver(model, { ...window });
    this.state = new GroupStates(model, 1, { soc: 0.5, tempK: model.refTempK });
  }

  /** Discharge power (W per cell) a rested cell at (soc, T) can hold for horizonS. */
  powerAt(soc: number, tempK: number, horizonS: number): number {
    const s = this.state;
    s.soc[0] = soc;
    s.tempK[0] = tempK;
    s.caseTempK[0] = tempK;
    for (const v of s.vrc) v[0] = 0;
    s.h[0] = -1; // after a discharge: the low branch of the hysteresis
    const x = this.solver.limit(s, 0, horizonS, -1);
    return x * this.solver.endVoltageV;
  }

  /**
   * Lowest SOC (≥ the window's socMin) at which `requiredCellPowerW` can be held for horizonS at tempK; 1 if
   * not even a full cell can.
   */
  usableEmptySoc(tempK: number, requiredCellPowerW: number, horizonS: number): number {
    const zMin = this.solver.window.socMin;
    if (this.powerAt(zMin, tempK, horizonS) >= requiredCellPowerW) return zMin;
    if (this.powerAt(1, tempK, horizonS) < requiredCellPowerW) return 1;
    let lo = zMin;
    let hi = 1;
    for (let i = 0; i < 30; i++) {
      const mid = 0.5 * (lo + hi);
      if (this.powerAt(mid, tempK, horizonS) >= requiredCellPowerW) hi = mid;
      else lo = mid;
    }
    return hi;
  }
}
