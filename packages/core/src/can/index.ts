export * from "./bus.ts";
export * from "./codec.ts";
export * from "./dbc.ts";
export * from "./frame.ts";
export * from "./supervisor.ts";
