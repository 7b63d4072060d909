export * from "./server.ts";
export * from "./sunspec.ts";
