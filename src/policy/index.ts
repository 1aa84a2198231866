export * from "./access-list.js";
export * from "./cidr.js";
export * from "./client-limits.js";
export * from "./ip-address.js";
export * from "./slot-table.js";
export * from "./token-bucket.js";
