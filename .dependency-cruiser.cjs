/**
 * The layer order of src/, checked in CI (`npm run deps`): a folder may import
 * only from folders below it, never from one above it or beside it, and no
 * module may import itself round a circle. docs/architecture.md explains the
 * order; this list is the one place it is written for the machine.
 *
 * Top to bottom. Folders on one row are peers: neither imports the other.
 */
const LAYERS = [
  ["index.ts"], // the library's surface
  ["cli"],
  ["cluster"],
  ["server"],
  ["config"],
  ["services", "client", "bench"],
  ["transport"],
  ["protocols"],
  ["policy"],
  ["metrics"],
  ["logging"],
  ["clock", "crypto"],
  ["errors.ts", "version.ts"],
];

const path = (names) => `^src/(${names.map((name) => name.replace(".", "[.]")).join("|")})(/|$)`;

const layerRules = LAYERS.flatMap((row, index) => {
  const above = LAYERS.slice(0, index).flat();
  return row.map((name) => {
    const peers = row.filter((other) => other !== name);
    const forbidden = [...above, ...peers];
    return {
      name: `layer-${name.replace(".ts", "")}`,
      comment: `src/${name} may import only layers below it (docs/architecture.md)`,
      severity: "error",
      from: { path: path([name]) },
      to: { path: path(forbidden) },
    };
  });
}).filter((rule) => !rule.to.path.endsWith("()(/|$)"));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "no module imports itself, directly or round a circle",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "unlisted-folder",
      comment: "every folder of src/ has its place in LAYERS",
      severity: "error",
      from: { path: "^src/", pathNot: path(LAYERS.flat()) },
      to: {},
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(dist|node_modules)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
