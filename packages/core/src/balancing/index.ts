export * from "./active.ts";
export * from "./current.ts";
export * from "./passive.ts";
