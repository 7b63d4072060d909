export * from "./files.ts";
export * from "./params.ts";
