export * from "./dbc-files.ts";
export * from "./socketcand.ts";
