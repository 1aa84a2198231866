/** How the report and the verdicts' notes write numbers. */

export function fmtRate(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

export function fmtMs(value: number): string {
  if (!Number.isFinite(value)) return "—";
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

export function fmtKb(value: number): string {
  return value.toFixed(2);
}

export function fmtMb(kb: number | undefined): string {
  return kb === undefined ? "—" : `${(kb / 1024).toFixed(1)} MB`;
}

export function pct(value: number | undefined): string {
  return value === undefined ? "—" : `${Math.round(value * 100)}%`;
}

export function fmtRatio(value: number | undefined): string {
  return value === undefined ? "—" : `${value.toFixed(2)}×`;
}
