#!/usr/bin/env bash
# Installs what a fresh machine lacks to build, test and run Mustafar Mesh. Idempotent: when nothing is
# missing it prints one line and changes nothing. Debian is handled automatically; other distributions get a
# list of what to install, because guessing package names across distributions does more harm than good.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
quiet=${MUSTAFAR_BOOTSTRAP_QUIET:-0}
say() { [ "$quiet" = 1 ] || echo "bootstrap: $*"; }
fail() { echo "bootstrap: error: $*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else fail "need root (or sudo) to run: $*"; fi
}

distro_id() { . /etc/os-release 2>/dev/null && echo "${ID:-unknown}"; }
distro_codename() { . /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}"; }

required_sdk_band=$(sed -n 's/.*"version": *"\([0-9]*\.[0-9]*\.[0-9]\).*/\1/p' "$repo_root/global.json")
libstdcxx_path() { ldconfig -p | awk '/libstdc\+\+\.so\.6 /{print $NF; exit}'; }

# TorchSharp 0.107's native library links against GLIBCXX_3.4.32 (GCC 13). Without it the first torch call
# fails with a misleading "doesn't contain a reference to libtorch" error, so we check the real cause here.
has_new_libstdcxx() {
  local lib; lib=$(libstdcxx_path)
  [ -n "$lib" ] && grep -qa 'GLIBCXX_3\.4\.32' "$lib"
}

missing=()
has_new_libstdcxx || missing+=(libstdcxx)
command -v redis-server >/dev/null 2>&1 || missing+=(redis)
command -v dotnet >/dev/null 2>&1 || missing+=(dotnet)

# The clients in other stacks (tests/clients). Node: its packages, installed again when package-lock.json changed
# after the last `npm ci` (npm keeps its own copy of the lock in node_modules).
node_client="$repo_root/tests/clients/node"
node_client_stale() {
  ! command -v node >/dev/null 2>&1 || [ ! -f "$node_client/node_modules/.package-lock.json" ] ||
    [ "$node_client/package-lock.json" -nt "$node_client/node_modules/.package-lock.json" ]
}
if [ -f "$node_client/package.json" ] && node_client_stale; then missing+=(node-client); fi
# Python: Debian's python3-grpcio for the system interpreter (a pyenv or venv python3 earlier on PATH cannot see
# Debian's packages, so ask /usr/bin/python3 itself), and protoc, which compiles the .proto files at run time.
if [ -d "$repo_root/tests/clients/python" ]; then
  /usr/bin/python3 -c 'import grpc' >/dev/null 2>&1 || missing+=(python-grpc)
  command -v protoc >/dev/null 2>&1 || missing+=(protoc)
fi

if [ ${#missing[@]} -eq 0 ]; then
  say "nothing missing"
  exit 0
fi

id=$(distro_id)
if [ "$id" != debian ]; then
  echo "bootstrap: this is '$id', not Debian; install these yourself, then rerun:" >&2
  for m in "${missing[@]}"; do
    case $m in
      libstdcxx) echo "  - libstdc++ from GCC 13 or newer (provides GLIBCXX_3.4.32; Ubuntu 24.04 / Fedora 39+ already have it)" >&2 ;;
      redis) echo "  - redis-server 6 or newer (package redis / redis-server)" >&2 ;;
      dotnet) echo "  - the .NET SDK $required_sdk_band or a newer patch (https://dot.net)" >&2 ;;
      node-client) echo "  - Node.js 18 or newer + npm, then: (cd tests/clients/node && npm ci)" >&2 ;;
      python-grpc) echo "  - grpcio for /usr/bin/python3 (package python3-grpcio)" >&2 ;;
      protoc) echo "  - protoc 3.15 or newer (package protobuf-compiler)" >&2 ;;
    esac
  done
  exit 1
fi

# Installers print only when they fail (apt and debconf chatter on stderr even with -qq).
quietly() {
  local log; log=$(mktemp)
  if "$@" >"$log" 2>&1; then rm -f "$log"; else cat "$log" >&2; rm -f "$log"; fail "failed: $*"; fi
}
apt_updated=0
apt_update() { [ $apt_updated = 1 ] || { quietly as_root apt-get update -qq; apt_updated=1; }; }
apt_install() { apt_update; quietly as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; }

for m in "${missing[@]}"; do
  case $m in
    libstdcxx)
      if [ "$(distro_codename)" = bookworm ]; then
        say "installing libstdc++6 from Debian 13 (trixie) with apt pinning (TorchSharp needs GLIBCXX_3.4.32)"
        # Priority 100 keeps every other package on bookworm; only what we name with -t trixie comes from there.
        echo 'deb http://deb.debian.org/debian trixie main' | as_root tee /etc/apt/sources.list.d/trixie.list >/dev/null
        printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' | as_root tee /etc/apt/preferences.d/trixie.pref >/dev/null
        apt_updated=0; apt_update
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t trixie libstdc++6 >/dev/null
      else
        say "installing libstdc++6"
        apt_install libstdc++6
      fi
      has_new_libstdcxx || fail "libstdc++ still lacks GLIBCXX_3.4.32 after the install"
      ;;
    redis) say "installing redis-server"; apt_install redis-server
      # The tests and the local mesh start their own servers on free ports; the distribution's service is not used.
      as_root systemctl disable --now redis-server >/dev/null 2>&1 || true ;;
    dotnet) fail "the .NET SDK $required_sdk_band (or a newer patch) is required; install it from https://dot.net and rerun" ;;
    node-client) say "installing the Node.js client's packages"
      { command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; } || apt_install nodejs npm
      (cd "$node_client" && quietly npm ci --no-audit --no-fund --loglevel=error) ;;
    python-grpc) say "installing python3-grpcio"; apt_install python3-grpcio ;;
    protoc) say "installing protobuf-compiler"; apt_install protobuf-compiler ;;
  esac
done

dotnet_band=$(dotnet --version 2>/dev/null | cut -d. -f1-2)
[ "$dotnet_band" = "$(echo "$required_sdk_band" | cut -d. -f1-2)" ] || say "warning: dotnet $(dotnet --version) found; global.json asks for $required_sdk_band"
say "done"
