export * from "./cellstep.ts";
export * from "./coulomb.ts";
export * from "./ekf.ts";
export * from "./filter.ts";
export * from "./pack.ts";
export * from "./run.ts";
export * from "./spkf.ts";
export * from "./tuning.ts";
