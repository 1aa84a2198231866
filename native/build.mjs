// Builds the optional native UDP module (native/) with the node-gyp that
// npm bundles, from source, against the headers npm is configured for
// (`nodedir`; node-gyp downloads them otherwise). Never fails the install:
// without the module, the server uses Node's dgram (--udp-backend dgram).
// TIMESERVER_NO_NATIVE=1 skips the build.
import { spawnSync } from "node:child_process";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
if (process.env.TIMESERVER_NO_NATIVE === "1") {
  console.log("timeserver: TIMESERVER_NO_NATIVE=1, native UDP module not built (dgram is used)");
  process.exit(0);
}
if (process.platform !== "linux") {
  console.log(`timeserver: no native UDP module on ${process.platform} (dgram is used)`);
  process.exit(0);
}
// npm sets npm_config_node_gyp to its bundled node-gyp during lifecycle scripts.
const gyp = process.env.npm_config_node_gyp;
const command = gyp ? process.execPath : "node-gyp";
const args = gyp ? [gyp, "rebuild"] : ["rebuild"];
const result = spawnSync(command, args, { cwd: here, stdio: "inherit" });
if (result.status !== 0) {
  console.warn(
    "timeserver: the native UDP module did not build (see above); the server will use Node's dgram. " +
      "Install a C compiler, make and python3, then run `npm rebuild timeserver` (or `npm run build:native`).",
  );
}
process.exit(0);
