export * from "./cooling.ts";
export * from "./derating.ts";
