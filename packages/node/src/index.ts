export * from "./can/index.ts";
export * from "./data.ts";
export * from "./files.ts";
export * from "./fit.ts";
export * from "./import.ts";
export * from "./modbus/index.ts";
export * from "./mqtt/index.ts";
export * from "./params.ts";
