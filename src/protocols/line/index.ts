export * from "./events.js";
export * from "./replies.js";
export * from "./reply-events.js";
export * from "./reply-reader.js";
export * from "./requests.js";
export * from "./time-protocol.js";
