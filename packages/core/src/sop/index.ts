export * from "./controller.ts";
export * from "./limiter.ts";
export * from "./pack.ts";
export * from "./predict.ts";
export * from "./truth.ts";
