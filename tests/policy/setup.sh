#!/usr/bin/env bash
# Installs the reference Cedar authorizer (@cedar-policy/cedar-wasm, the exact version pinned in
# package-lock.json beside this script) into DIR, for differential.mjs --cedar DIR. DIR lives in
# the build directory: node_modules never enters the source tree. Does nothing when DIR already
# holds what the lock file pins, so only the first test run reaches the npm registry.
#   tests/policy/setup.sh BUILD_DIR/tests/policy/cedar
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 INSTALL_DIR" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
dir=$1

for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "setup.sh: '$tool' not found; the differential test needs Node.js and npm" \
         "(scripts/bootstrap --test installs them)" >&2
    exit 1
  fi
done

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if cmp -s "$here/package-lock.json" "$dir/package-lock.json" &&
   [ -f "$dir/node_modules/@cedar-policy/cedar-wasm/nodejs/cedar_wasm.js" ]; then
  exit 0
fi
cp "$here/package.json" "$here/package-lock.json" "$dir/"
# Node ships its own root certificates; trust the system's store as well, so that a machine whose
# administrator added a CA there (a TLS-inspecting proxy, for one) reaches the registry as apt does.
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi
npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
echo "setup.sh: cedar-wasm $(node -p "require('$dir/node_modules/@cedar-policy/cedar-wasm/package.json').version") installed in $dir"
