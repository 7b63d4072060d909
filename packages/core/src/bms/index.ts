export * from "./config.ts";
export * from "./contactors.ts";
export * from "./controller.ts";
export * from "./diagnosis.ts";
export * from "./estimator.ts";
export * from "./limits.ts";
export * from "./signals.ts";
export * from "./verify.ts";
