import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BENCH_HELP } from "../../src/config/bench-config.js";
import { CLIENT_HELP } from "../../src/config/client-config.js";
import {
  DEFAULT_HELP_COLUMNS,
  formatHelp,
  helpColumns,
  optionSections,
  wrap,
} from "../../src/config/program-help.js";
import { SERVER_HELP } from "../../src/config/server-config.js";

const PROGRAMS = [SERVER_HELP, CLIENT_HELP, BENCH_HELP];

/** Lines longer than `width` that are not one unbreakable word (after their indent). */
function overlong(text: string, width: number): string[] {
  return text
    .split("\n")
    .filter((line) => line.length > width && /\s\S+\s+\S/.test(line.trim().padStart(1)));
}

describe("help text", () => {
  for (const help of PROGRAMS) {
    for (const columns of [40, 60, 80, 120, 200]) {
      it(`${help.name} --help fits in ${columns} columns`, () => {
        const text = formatHelp(help, columns);
        assert.deepEqual(overlong(text, columns), []);
      });
    }

    it(`${help.name} --help names every flag and variable, and ends with examples`, () => {
      const text = formatHelp(help, 80);
      for (const spec of help.options) {
        assert.ok(text.includes(`--${spec.name}`), spec.name);
        if (spec.env !== undefined) assert.ok(text.includes(spec.env), spec.env);
        if (spec.short !== undefined) assert.ok(text.includes(`-${spec.short}, --`), spec.short);
      }
      assert.ok(help.examples.length >= 3, "a few examples");
      const examples = text.slice(text.lastIndexOf("Examples:\n"));
      assert.ok(text.lastIndexOf("Examples:\n") > 0, "an Examples section");
      for (const example of help.examples) assert.ok(examples.includes(example.command));
      assert.ok(text.startsWith(`Usage: ${help.name} `));
    });
  }

  it("every timeserver option names the section --help lists it under", () => {
    const without = SERVER_HELP.options.filter((spec) => spec.section === undefined);
    assert.deepEqual(
      without.map((spec) => spec.name),
      [],
      "give these options a section (and run npm run docs)",
    );
  });

  it("a wider terminal gets fewer, longer lines", () => {
    const narrow = formatHelp(SERVER_HELP, 60).split("\n").length;
    const wide = formatHelp(SERVER_HELP, 160).split("\n").length;
    assert.ok(wide < narrow, `${wide} lines at 160 columns, ${narrow} at 60`);
  });

  it("lists options under their sections, in the order each section first appears", () => {
    const titles = optionSections(SERVER_HELP.options).map((section) => section.title);
    assert.equal(new Set(titles).size, titles.length);
    assert.equal(titles.at(-1), "General");
    const text = formatHelp(SERVER_HELP, 80);
    let from = 0;
    for (const title of titles) {
      const at = text.indexOf(`\n${title}:\n`, from);
      assert.ok(at >= from, `section ${title} out of order`);
      from = at;
    }
  });
});

describe("helpColumns", () => {
  it("is the terminal's width on a terminal and 80 otherwise", () => {
    assert.equal(helpColumns({ isTTY: true, columns: 132 }), 132);
    assert.equal(helpColumns({ isTTY: false, columns: 132 }), DEFAULT_HELP_COLUMNS);
    assert.equal(helpColumns({}), 80);
    assert.equal(helpColumns({ isTTY: true }), 80);
  });

  it("never goes below 40, where wrapping would leave a word per line", () => {
    assert.equal(helpColumns({ isTTY: true, columns: 12 }), 40);
  });
});

describe("wrap", () => {
  it("breaks at spaces and keeps a long word whole on its own line", () => {
    assert.deepEqual(wrap("aa bb cc", 5), ["aa bb", "cc"]);
    assert.deepEqual(wrap("a TIMESERVER_MAX_CONNECTIONS_PER_IP b", 10), [
      "a",
      "TIMESERVER_MAX_CONNECTIONS_PER_IP",
      "b",
    ]);
    assert.deepEqual(wrap("  ", 10), []);
  });
});
