export * from "./controller.ts";
export * from "./link.ts";
export * from "./run.ts";
