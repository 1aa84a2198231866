/**
 * The flag reference in docs/configuration.md and the man pages are generated
 * from the option tables; this fails when a table changed and `npm run docs`
 * was not run (or a generated file was edited by hand).
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { manPage, markdownOptions, replaceGenerated } from "../../scripts/reference-docs.js";
import { PROGRAMS, referenceFiles } from "../../scripts/reference-files.js";
import { SERVER_HELP } from "../../src/config/server-config.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

describe("generated reference documents", () => {
  for (const [path, expected] of referenceFiles(ROOT)) {
    it(`${path} matches the option tables (else run npm run docs)`, () => {
      assert.equal(readFileSync(ROOT + path, "utf8"), expected);
    });
  }

  it("package.json ships every man page", () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")) as {
      man: string[];
      files: string[];
    };
    assert.deepEqual(
      pkg.man,
      PROGRAMS.map((program) => `./man/${program.help.name}.1`),
    );
    assert.ok(pkg.files.includes("man"));
  });

  it("the Markdown reference has a row for every option of every program", () => {
    for (const { help } of PROGRAMS) {
      const table = markdownOptions(help);
      for (const spec of help.options)
        assert.match(table, new RegExp(`\\| \`[^|]*--${spec.name}\\b`));
    }
  });

  it("replaces only the region between its markers, and refuses a document without them", () => {
    const doc = "before\n<!-- generated:x (old) -->\nold\n<!-- /generated -->\nafter\n";
    const out = replaceGenerated(doc, "x", "new\n");
    assert.match(out, /^before\n<!-- generated:x .*-->\nnew\n<!-- \/generated -->\nafter\n$/);
    assert.equal(replaceGenerated(out, "x", "new\n"), out);
    assert.throws(() => replaceGenerated("no markers", "x", ""), /no generated region "x"/);
  });

  it("escapes roff: hyphens, backslashes and a line that would start with a dot", () => {
    const page = manPage(
      {
        help: {
          ...SERVER_HELP,
          summary: ".hidden line with \\r",
          notes: [],
          examples: [{ command: "timeserver --port 1", what: "x" }],
        },
        tagline: "t",
      },
      [],
    );
    assert.ok(page.includes("\\&.hidden line with \\er"));
    assert.ok(page.includes("\\fBtimeserver \\-\\-port 1\\fR"));
    assert.doesNotMatch(page, /^\.hidden/m);
  });
});
