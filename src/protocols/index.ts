export * from "./proxy-header.js";
