/**
 * The UDP backend on the native module: the kernel stamps each datagram as
 * it arrives (SO_TIMESTAMPNS), up to BATCH datagrams come in with one
 * recvmmsg and their replies leave with one sendmmsg, and an NTP reply's
 * transmit timestamp is written in C right before that sendmmsg. JavaScript
 * is called once per batch and walks it: each datagram is handed on with its
 * sender and receive time, and a reply is copied into the datagram's
 * transmit slot. The batch memory is allocated once per socket; a datagram
 * is a view into it, valid only while it is being handled.
 */

import { promises as dns } from "node:dns";
import { type AddressInfo, isIP } from "node:net";
import { getSystemErrorName } from "node:util";
import type { Peer } from "../policy/admission.js";
import type { NativeBinding, NativeSocket } from "./native-binding.js";
import type {
  Arrival,
  BindTarget,
  UdpBackend,
  UdpBackendHandlers,
  UdpBackendName,
} from "./udp-backend.js";

// The int32 fields of a datagram's record (native/src/timeserver_native.c).
const M_LENGTH = 0;
const M_PORT = 1;
const M_FLAGS = 3;
const M_SEC_HI = 4;
const M_SEC_LO = 5;
const M_NSEC = 6;
const M_REPLY_LEN = 7;
const M_TX_OFFSET = 8;
const M_ADDR_LEN = 9;
const M_ADDR = 10;
const F_KERNEL_TIME = 2;
// The totals record's fields.
const T_SEND_ERRORS = 0;
const T_SEND_ERRNO = 1;

export class NativeBackend implements UdpBackend {
  readonly name: UdpBackendName = "native";
  readonly stampsTransmit = true;
  private socket: NativeSocket | undefined;
  private rx = new ArrayBuffer(0);
  private txBytes = Buffer.alloc(0);
  private meta = new Int32Array(0);
  private metaBytes = Buffer.alloc(0);
  private readonly arrival: Arrival = { sec: 0, nsec: 0, kernel: false };
  /** The datagram being handled; -1 between batches. */
  private current = -1;
  private sendErrorsSeen = 0;
  private handlers: UdpBackendHandlers | undefined;

  /**
   * `reusePort`: the processes of a cluster each bind the port (SO_REUSEPORT)
   * where dgram would share the primary's one socket.
   */
  constructor(
    private readonly binding: NativeBinding,
    private readonly reusePort = false,
  ) {}

  async bind(target: BindTarget, handlers: UdpBackendHandlers): Promise<AddressInfo> {
    const { binding } = this;
    let socket: NativeSocket;
    if ("fd" in target) {
      socket = binding.open(target.family, "", 0, target.fd, false);
    } else {
      // The module binds IP literals only; a name is looked up once, here.
      const address =
        isIP(target.address) === 0
          ? (await dns.lookup(target.address, { family: target.family })).address
          : target.address;
      socket = binding.open(target.family, address, target.port, -1, this.reusePort);
    }
    this.socket = socket;
    this.handlers = handlers;
    const slots = binding.BATCH * binding.SLOT;
    this.rx = new ArrayBuffer(slots);
    const tx = new ArrayBuffer(slots);
    this.txBytes = Buffer.from(tx);
    const meta = new ArrayBuffer((binding.BATCH + 1) * binding.META_INTS * 4);
    this.meta = new Int32Array(meta);
    this.metaBytes = Buffer.from(meta);
    binding.start(socket, this.rx, tx, meta, (count) => this.batch(count));
    return this.address();
  }

  address(): AddressInfo {
    const { address, port, family } = this.binding.address(this.socket as NativeSocket);
    return { address, port, family };
  }

  send(reply: Buffer, _peer: Peer, transmitAt?: number): void {
    const i = this.current;
    const { SLOT, META_INTS } = this.binding;
    if (i < 0 || reply.length > SLOT) return;
    this.txBytes.set(reply, i * SLOT);
    this.meta[i * META_INTS + M_REPLY_LEN] = reply.length;
    this.meta[i * META_INTS + M_TX_OFFSET] = transmitAt ?? -1;
  }

  close(): Promise<void> {
    if (this.socket !== undefined) this.binding.close(this.socket);
    this.socket = undefined;
    return Promise.resolve();
  }

  /** Called by the module with `count` datagrams in the batch memory. */
  private batch(count: number): void {
    const handlers = this.handlers as UdpBackendHandlers;
    const { meta, metaBytes, arrival, rx } = this;
    const { SLOT, META_INTS, BATCH } = this.binding;
    this.reportSendErrors(meta[BATCH * META_INTS + T_SEND_ERRORS] ?? 0, handlers);
    for (let i = 0; i < count; i++) {
      const at = i * META_INTS;
      const addressAt = (at + M_ADDR) * 4;
      const peer: Peer = {
        address: metaBytes.toString("latin1", addressAt, addressAt + (meta[at + M_ADDR_LEN] ?? 0)),
        port: meta[at + M_PORT] ?? 0,
      };
      arrival.sec = (meta[at + M_SEC_HI] ?? 0) * 4_294_967_296 + ((meta[at + M_SEC_LO] ?? 0) >>> 0);
      arrival.nsec = meta[at + M_NSEC] ?? 0;
      arrival.kernel = ((meta[at + M_FLAGS] ?? 0) & F_KERNEL_TIME) !== 0;
      this.current = i;
      try {
        handlers.datagram(Buffer.from(rx, i * SLOT, meta[at + M_LENGTH] ?? 0), peer, arrival);
      } finally {
        this.current = -1;
      }
    }
  }

  /** Sends that failed in C since the last batch, reported as the dgram backend's 'error' events are. */
  private reportSendErrors(total: number, handlers: UdpBackendHandlers): void {
    if (total === this.sendErrorsSeen) return;
    const errno = this.meta[this.binding.BATCH * this.binding.META_INTS + T_SEND_ERRNO] ?? 0;
    for (; this.sendErrorsSeen !== total; this.sendErrorsSeen = (this.sendErrorsSeen + 1) | 0) {
      const code = errno > 0 ? getSystemErrorName(-errno) : "EAGAIN";
      const error: NodeJS.ErrnoException = new Error(`sendmmsg ${code}`);
      error.code = code;
      error.errno = -errno;
      handlers.sendError(error);
    }
  }
}
