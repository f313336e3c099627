#!/usr/bin/env node
// What .github/workflows/release.yml decides, as plain code its tests run:
//
//   node scripts/release.js version vX.Y.Z   prints version=X.Y.Z, major=vX and move=true|false for
//                                            $GITHUB_OUTPUT; move is true when no higher vX.*.* tag
//                                            exists (git tag -l), so a fix to an older minor never
//                                            pulls the major tag back
//   node scripts/release.js notes X.Y.Z [FILE]  prints the body of the "## [X.Y.Z]" section of
//                                            CHANGELOG.md (or FILE)
//
// A tag that is not vX.Y.Z, or a version without its own non-empty changelog section, is an error
// that says what to do.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const TAG = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

function fail(message) {
  process.stderr.write(`release: ${message}\n`);
  process.exit(1);
}

function parseTag(tag) {
  const m = TAG.exec(tag);
  return m ? m.slice(1).map(Number) : undefined;
}

function compare(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** The version, its major tag, and whether this tag is the highest of its major among `tags`. */
function decide(tag, tags) {
  const v = parseTag(tag);
  if (!v) fail(`the tag '${tag}' is not vMAJOR.MINOR.PATCH (e.g. v1.2.3): nothing released`);
  const higher = tags.map(parseTag).filter((t) => t && t[0] === v[0] && compare(t, v) > 0);
  return { version: v.join('.'), major: `v${v[0]}`, move: higher.length === 0 };
}

/** The body of the "## [version]" section (up to the next "## " heading or the link references). */
function notes(changelog, version) {
  const lines = changelog.split('\n');
  const heading = new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\](\\s|$)`);
  const start = lines.findIndex((l) => heading.test(l));
  if (start < 0) {
    fail(
      `CHANGELOG.md has no section "## [${version}] - YYYY-MM-DD": rename "## [Unreleased]" to it, commit, and tag that commit`,
    );
  }
  const body = [];
  for (const line of lines.slice(start + 1)) {
    if (/^## /.test(line) || /^\[[^\]]+\]: /.test(line)) break;
    body.push(line);
  }
  const text = body.join('\n').trim();
  if (!text) fail(`CHANGELOG.md's section for ${version} is empty: say what users get`);
  return `${text}\n`;
}

function main(argv) {
  const [command, arg, file] = argv;
  if (command === 'version' && arg) {
    const tags = execFileSync('git', ['tag', '-l', 'v*'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    const d = decide(arg, tags);
    process.stdout.write(`version=${d.version}\nmajor=${d.major}\nmove=${d.move}\n`);
  } else if (command === 'notes' && arg) {
    const changelog = file ?? path.join(__dirname, '..', 'CHANGELOG.md');
    process.stdout.write(notes(fs.readFileSync(changelog, 'utf8'), arg));
  } else {
    fail('usage: node scripts/release.js version vX.Y.Z | notes X.Y.Z [FILE]');
  }
}

main(process.argv.slice(2));
