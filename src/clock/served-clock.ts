/**
 * What an SNTP reply may honestly say about the host's clock, from the
 * kernel's own account of it (ntp_adjtime, read by the native module), the
 * way chrony decides it (reference.c, REF_GetReferenceParams):
 *
 * - synchronised (no STA_UNSYNC, not TIME_ERROR): the configured stratum; the
 *   leap indicator announces a leap second the kernel will insert (STA_INS)
 *   or delete (STA_DEL) at the end of the day; the root dispersion is the
 *   kernel's maximum error, the bound the synchronising daemon keeps there
 *   (it already holds half the root delay, so the root delay is 0);
 * - unsynchronised, or the state cannot be read: LI 3 (alarm), stratum 0,
 *   reference ID 0, root delay and dispersion 1 s and no reference time, byte
 *   for byte what chronyd 4.3 answers without `local` (its stratum 16,
 *   "unsynchronised", goes on the wire as 0, "unspecified", as NTPsec's does
 *   too). Clients then ignore the reply;
 * - unless `local` (chrony's `local stratum N`): the configured stratum, LI 0,
 *   reference ID LOCL and 1 ms of root dispersion, as this server always said.
 *
 * Pure: the kernel state is read elsewhere and handed in.
 */

/** The kernel clock as ntp_adjtime(2) reports it (modes 0: read only). */
export interface KernelClockState {
  /** The call's return value: TIME_OK 0, TIME_INS 1, TIME_DEL 2, TIME_OOP 3, TIME_WAIT 4, TIME_ERROR 5. */
  readonly state: number;
  /** The status bits: STA_INS 0x10, STA_DEL 0x20, STA_UNSYNC 0x40, … */
  readonly status: number;
  /** The maximum error the synchronising daemon claims, grown by the kernel 500 ppm a second. */
  readonly maxErrorUs: number;
  /** The estimated error the synchronising daemon claims. */
  readonly estErrorUs: number;
}

export const STA_INS = 0x10;
export const STA_DEL = 0x20;
export const STA_UNSYNC = 0x40;
export const TIME_ERROR = 5;

/** The header fields that describe the server's clock. */
export interface ServedClock {
  readonly synchronised: boolean;
  readonly leap: 0 | 1 | 2 | 3;
  readonly stratum: number;
  /** Seconds. */
  readonly rootDelay: number;
  /** Seconds. */
  readonly rootDispersion: number;
  readonly referenceId: string | Uint8Array;
  /** False: the reference timestamp is zero ("never"). */
  readonly hasReference: boolean;
}

/** chrony's unsynchronised reply fields (NTP_MAX_STRATUM sent as 0, NTP_REFID_UNSYNC). */
export const UNSYNCHRONISED: ServedClock = Object.freeze({
  synchronised: false,
  leap: 3,
  stratum: 0,
  rootDelay: 1,
  rootDispersion: 1,
  referenceId: new Uint8Array(4),
  hasReference: false,
});

/** The reply this server always made, and makes with `--local`: a local clock at `stratum`. */
export function localClock(stratum: number): ServedClock {
  return Object.freeze({
    synchronised: false,
    leap: 0,
    stratum,
    rootDelay: 0,
    rootDispersion: 0.001,
    referenceId: "LOCL",
    hasReference: true,
  });
}

/** The least root dispersion claimed when synchronised: a clock read is no better than this. */
const MIN_DISPERSION_S = 1e-6;

export function servedClock(
  kernel: KernelClockState | undefined,
  options: { readonly stratum: number; readonly local: boolean },
): ServedClock {
  const unsynchronised =
    kernel === undefined || (kernel.status & STA_UNSYNC) !== 0 || kernel.state === TIME_ERROR;
  if (unsynchronised) return options.local ? localClock(options.stratum) : UNSYNCHRONISED;
  const leap = (kernel.status & STA_INS) !== 0 ? 1 : (kernel.status & STA_DEL) !== 0 ? 2 : 0;
  return {
    synchronised: true,
    leap,
    stratum: options.stratum,
    rootDelay: 0,
    rootDispersion: Math.max(MIN_DISPERSION_S, kernel.maxErrorUs / 1e6),
    referenceId: "LOCL",
    hasReference: true,
  };
}
