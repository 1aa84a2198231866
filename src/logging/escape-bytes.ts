/**
 * Renders bytes received from the network for a log line. Printable ASCII is
 * kept, everything else becomes an escape, so no control byte, terminal escape
 * sequence or invalid UTF-8 from a client ever reaches the log. Long input is
 * cut, and the cut says how long the original was.
 */

const HEX = "0123456789abcdef";

export const DEFAULT_ESCAPE_LIMIT = 64;

export function escapeBytes(bytes: Uint8Array, limit = DEFAULT_ESCAPE_LIMIT): string {
  const shown = Math.min(bytes.length, limit);
  let out = "";
  for (let i = 0; i < shown; i++) {
    const b = bytes[i] as number;
    if (b === 0x5c) out += "\\\\";
    else if (b === 0x22) out += '\\"';
    else if (b >= 0x20 && b <= 0x7e) out += String.fromCharCode(b);
    else if (b === 0x0d) out += "\\r";
    else if (b === 0x0a) out += "\\n";
    else if (b === 0x09) out += "\\t";
    else out += `\\x${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  if (bytes.length > shown) out += `...(${bytes.length} bytes)`;
  return out;
}
