import { readFileSync } from "node:fs";

/** The package version, read once from package.json (two levels above dist/src). */
export function packageVersion(): string {
  try {
    const url = new URL("../../package.json", import.meta.url);
    const json = JSON.parse(readFileSync(url, "utf8")) as { version?: string };
    return json.version ?? "unknown";
  } catch {
    return "unknown";
  }
}
