/**
 * The one question policy answers, and the one kind of answer it gives. A
 * listener asks once per accepted connection (`admitConnection`); a service
 * asks once per request (`admitRequest` for a request on an admitted
 * connection, `admitDatagram` for a datagram) and acts on the verdict: serve
 * it, drop it (with the reason, and for a rate limit how long to wait), send
 * a Kiss-o'-Death, or refuse the connection. Nothing is handed back up to
 * policy afterwards, as chrony's ntp_core.c acts on one answer from
 * CLG_LimitServiceRate.
 *
 * `Peer` lives here, the lowest layer that reads a client's address; the
 * transport makes one per connection or datagram.
 */

export interface Peer {
  /**
   * As Node reports it (127.0.0.1, ::1), except that the transport turns an
   * IPv4-mapped address (::ffff:10.0.0.1, an IPv4 client of a dual-stack
   * socket) into its IPv4 address (10.0.0.1): logs and policy see one client
   * one way.
   */
  readonly address: string;
  readonly port: number;
}

/** Why policy refuses a connection or drops a request: the `reason` label of the counters. */
export type Refusal = "limit" | "per-address-limit" | "acl" | "rate-limit";

export interface Serve {
  readonly kind: "serve";
}

/** A connection closed at once, with no byte sent. */
export interface Refuse {
  readonly kind: "refuse";
  readonly reason: Refusal;
}

/** A request not answered (now). */
export interface Drop {
  readonly kind: "drop";
  readonly reason: "acl" | "rate-limit";
  /** For the log, where the reason alone does not say which limit it was. */
  readonly detail?: string;
  /** For a rate limit on a connection's request: milliseconds until it may be asked again. */
  readonly retryInMs?: number;
}

/** An over-rate SNTP request answered with a Kiss-o'-Death RATE instead of nothing. */
export interface KissOfDeath {
  readonly kind: "kiss-of-death";
}

/**
 * What policy must know of a datagram besides its source:
 * - "kissable": a well-formed SNTP client request (not NTS): over its rate,
 *   perhaps a Kiss-o'-Death;
 * - "plain": any other SNTP datagram: over its rate, dropped;
 * - "greeting": daytime or RFC 868, which answer any datagram, even an empty
 *   one, with a larger one: also within the per-source greeting rate.
 */
export type DatagramKind = "kissable" | "plain" | "greeting";

export type ConnectionVerdict = Serve | Refuse;
export type RequestVerdict = Serve | Drop;
export type DatagramVerdict = Serve | Drop | KissOfDeath;
export type Verdict = Serve | Refuse | Drop | KissOfDeath;

/** The verdicts that carry nothing of their own, made once (a request costs no allocation). */
export const SERVE: Serve = Object.freeze({ kind: "serve" });
export const KISS_OF_DEATH: KissOfDeath = Object.freeze({ kind: "kiss-of-death" });
export const DROP_ACL: Drop = Object.freeze({ kind: "drop", reason: "acl" });
export const DROP_RATE_LIMIT: Drop = Object.freeze({ kind: "drop", reason: "rate-limit" });
/** Over --udp-greeting-rate: counted as rate-limit, the log saying which rate. */
export const DROP_GREETING_RATE: Drop = Object.freeze({
  kind: "drop",
  reason: "rate-limit",
  detail: "over --udp-greeting-rate for its source",
});
export const REFUSE: Readonly<Record<Refusal, Refuse>> = Object.freeze({
  limit: Object.freeze({ kind: "refuse", reason: "limit" }),
  "per-address-limit": Object.freeze({ kind: "refuse", reason: "per-address-limit" }),
  acl: Object.freeze({ kind: "refuse", reason: "acl" }),
  "rate-limit": Object.freeze({ kind: "refuse", reason: "rate-limit" }),
});

export interface Admission {
  /**
   * False when no answer about a connection or a request on one depends on
   * the client's address (no access list, no per-address limit, no rate): it
   * then answers them as LIMIT_ONLY does, and a TCP listener may ask
   * LIMIT_ONLY instead and never ask the kernel for the address. (A
   * datagram's source comes with it: the greeting rate, which only datagrams
   * meet, does not make a policy active.) Absent counts as true.
   */
  readonly active?: boolean;
  /**
   * Whether `peer`'s connection is let into a listener that already holds
   * `open` connections of at most `max`. An admitted connection must be
   * handed back with `connectionEnded`.
   */
  admitConnection(peer: Peer, open: number, max: number): ConnectionVerdict;
  connectionEnded(peer: Peer): void;
  /**
   * A request on an admitted connection (its address passed the access list
   * at accept): serve it, or drop it for now, `retryInMs` until a token of
   * the address's rate is back.
   */
  admitRequest(peer: Peer): RequestVerdict;
  /**
   * A datagram: serve it, drop it (access list, a greeting over the greeting
   * rate, the address's rate), or, when `kissable` and over its rate,
   * perhaps answer it with a Kiss-o'-Death.
   */
  admitDatagram(peer: Peer, kind: DatagramKind): DatagramVerdict;
}

/** Admission by the listener's connection limit alone. */
export const LIMIT_ONLY: Admission = {
  active: false,
  admitConnection(_peer, open, max) {
    return open >= max ? REFUSE.limit : SERVE;
  },
  connectionEnded() {},
  admitRequest() {
    return SERVE;
  },
  admitDatagram() {
    return SERVE;
  },
};
