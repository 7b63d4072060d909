/**
 * Units and sign conventions of coxswain.
 *
 * Inside the project everything is SI (V, A, s, Ω, F, J, W, K), capacity in A·h, state of charge as a fraction
 * 0…1, and current positive when it charges the cell. Conversions happen once, at the edges (files, UI,
 * protocols), through the helpers here, so a grep for them finds every edge.
 */

/** 0 °C in kelvin. */
export const ZERO_CELSIUS_K = 273.15;
/** Seconds per hour: capacity is in A·h, time in s. */
export const SECONDS_PER_HOUR = 3600;
/** Molar gas constant, J/(mol·K). */
export const GAS_CONSTANT = 8.314462618;
/** Faraday constant, C/mol. */
export const FARADAY = 96485.33212;

export const celsiusToKelvin = (tempC: number): number => tempC + ZERO_CELSIUS_K;
export const kelvinToCelsius = (tempK: number): number => tempK - ZERO_CELSIUS_K;

/** Charge in coulombs held by a capacity in A·h. */
export const ampHoursToCoulombs = (ah: number): number => ah * SECONDS_PER_HOUR;
export const coulombsToAmpHours = (c: number): number => c / SECONDS_PER_HOUR;

export const percentToFraction = (pct: number): number => pct / 100;
export const fractionToPercent = (frac: number): number => frac * 100;

/**
 * Current sign conventions met at the edges. coxswain: positive = charge. PyBaMM and Plett's ESC toolbox use
 * positive = discharge.
 */
export type CurrentSign = "charge-positive" | "discharge-positive";

/** Converts a current from an external convention to coxswain's charge-positive convention. */
export function toChargePositive(currentA: number, sign: CurrentSign): number {
  return sign === "charge-positive" ? currentA : -currentA;
}

/** Converts a coxswain (charge-positive) current to an external convention. */
export function fromChargePositive(currentA: number, sign: CurrentSign): number {
  return sign === "charge-positive" ? currentA : -currentA;
}
