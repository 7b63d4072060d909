export * from "./data.ts";
export * from "./files.ts";
export * from "./params.ts";
