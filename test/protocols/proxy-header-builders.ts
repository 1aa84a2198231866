/** Builders for PROXY protocol headers, shared by the unit and property tests. */

import { PROXY_V2_SIGNATURE } from "../../src/protocols/proxy-header.js";

export function v2Header(options: {
  command: number;
  familyProtocol: number;
  addresses: number[];
}): Buffer {
  const fixed = Buffer.alloc(4);
  fixed[0] = 0x20 | options.command;
  fixed[1] = options.familyProtocol;
  fixed.writeUInt16BE(options.addresses.length, 2);
  return Buffer.concat([PROXY_V2_SIGNATURE, fixed, Buffer.from(options.addresses)]);
}
