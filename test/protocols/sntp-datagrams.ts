/** Builders for NTP datagrams used by the SNTP tests. */

export interface DatagramShape {
  leap?: number;
  version?: number;
  mode?: number;
  poll?: number;
  length?: number;
  /** Bytes 40–47; default 8 recognisable bytes. */
  transmit?: number[];
}

export const CLIENT_TRANSMIT = [0xe9, 0x8a, 0x3b, 0x40, 0x12, 0x34, 0x56, 0x78];

export function datagram(shape: DatagramShape = {}): Buffer {
  const { leap = 0, version = 4, mode = 3, poll = 6, length = 48 } = shape;
  const bytes = Buffer.alloc(length, 0x5a); // junk everywhere the server must not care about
  if (length > 0) bytes[0] = (leap << 6) | (version << 3) | mode;
  if (length > 2) bytes.writeInt8(poll, 2);
  if (length >= 48) bytes.set(shape.transmit ?? CLIENT_TRANSMIT, 40);
  return bytes;
}
