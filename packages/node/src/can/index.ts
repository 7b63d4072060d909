export * from "./dbc-files.ts";
export * from "./socketcan.ts";
export * from "./socketcand.ts";
