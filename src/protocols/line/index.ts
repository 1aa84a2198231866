export * from "./events.js";
export * from "./replies.js";
export * from "./time-protocol.js";
