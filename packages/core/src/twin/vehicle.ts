/**
 * A small longitudinal vehicle model that turns a speed schedule into battery power, and the speed schedule
 * itself (piecewise-linear speed, so the acceleration is constant between schedule points).
 *
 * Road load at speed v and acceleration a: F = m·a + ½·ρ·CdA·v² + C_rr·m·g. Wheel power P_w = F·v. The battery
 * delivers P_w/η + P_aux when driving (η the drivetrain efficiency) and recovers regenFraction·η·|P_w| − P_aux
 * when braking (the rest goes to the friction brakes).
 */

export interface VehicleConfig {
  massKg: number;
  /** Drag coefficient × frontal area, m². */
  dragAreaM2: number;
  rollingResistance: number;
  /** Battery-to-wheel efficiency (both directions). */
  drivetrainEfficiency: number;
  /** Share of the braking power the motor recovers (the rest is friction braking). */
  regenFraction: number;
  /** Auxiliary load (HVAC, 12 V), W. */
  auxiliaryW: number;
  /** Air density, kg/m³. */
  airDensity: number;
}

/** A mid-size EV (≈ 2 t, CdA 0.6 m²). */
export const DEFAULT_VEHICLE: VehicleConfig = {
  massKg: 2000,
  dragAreaM2: 0.6,
  rollingResistance: 0.009,
  drivetrainEfficiency: 0.9,
  regenFraction: 0.7,
  auxiliaryW: 600,
  airDensity: 1.2,
};

const GRAVITY = 9.80665;

/** Battery power of the vehicle, W, charge-positive (driving draws, so it is negative). */
export function vehicleBatteryPowerW(v: VehicleConfig, speedMps: number, accelMps2: number): number {
  const force =
    v.massKg * accelMps2 +
    0.5 * v.airDensity * v.dragAreaM2 * speedMps * speedMps +
    (speedMps > 0 ? v.rollingResistance * v.massKg * GRAVITY : 0);
  const wheelW = force * speedMps;
  const batteryOut =
    wheelW >= 0 ? wheelW / v.drivetrainEfficiency : wheelW * v.drivetrainEfficiency * v.regenFraction;
  return -(batteryOut + v.auxiliaryW);
}

/** A speed schedule: times strictly increasing, speeds ≥ 0. */
export class SpeedSchedule {
  readonly timeS: Float64Array;
  readonly speedMps: Float64Array;

  constructor(
    readonly name: string,
    timeS: ArrayLike<number>,
    speedMps: ArrayLike<number>,
  ) {
    if (timeS.length < 2 || timeS.length !== speedMps.length)
      throw new Error(`speed schedule ${name}: needs at least 2 points and as many speeds as times`);
    for (let k = 0; k < timeS.length; k++) {
      if (k > 0 && !(timeS[k] > timeS[k - 1]))
        throw new Error(`speed schedule ${name}: time_s[${k}] = ${timeS[k]} is not after ${timeS[k - 1]}`);
      if (!(speedMps[k] >= 0))
        throw new Error(`speed schedule ${name}: speed_mps[${k}] = ${speedMps[k]}, expected a speed >= 0`);
    }
    this.timeS = Float64Array.from(timeS);
    this.speedMps = Float64Array.from(speedMps);
  }

  get durationS(): number {
    return this.timeS[this.timeS.length - 1] - this.timeS[0];
  }

  /** Speed and acceleration at time t from the start of the schedule (held at the ends). */
  at(t: number): { speedMps: number; accelMps2: number } {
    const ts = this.timeS;
    const vs = this.speedMps;
    const n = ts.length;
    const x = ts[0] + t;
    if (x <= ts[0]) return { speedMps: vs[0], accelMps2: 0 };
    if (x >= ts[n - 1]) return { speedMps: vs[n - 1], accelMps2: 0 };
    // Schedules are 1 Hz in practice: start from the proportional guess.
    let i = Math.min(n - 2, Math.max(0, Math.floor(((x - ts[0]) / (ts[n - 1] - ts[0])) * (n - 1))));
    while (i > 0 && ts[i] > x) i--;
    while (i < n - 2 && ts[i + 1] <= x) i++;
    const a = (vs[i + 1] - vs[i]) / (ts[i + 1] - ts[i]);
    return { speedMps: vs[i] + a * (x - ts[i]), accelMps2: a };
  }
}
