export * from "./bpx.ts";
export * from "./chen2020.ts";
export { formatParamsJson } from "./common.ts";
export * from "./expr.ts";
export * from "./pybamm-ecm.ts";
