#!/usr/bin/env bash
# Builds the libFuzzer target with clang (the project itself builds with GCC, which has no
# libFuzzer): fuzz/policy_parser_fuzz.cc and the sources of src/policy, instrumented for
# coverage and with AddressSanitizer and UndefinedBehaviorSanitizer.
#   fuzz/build.sh OUT_DIR     writes OUT_DIR/policy_parser_fuzz
# Environment: CXX (default clang++), JOBS (parallel compiles, default 2), FUZZ_CXXFLAGS (extra
# flags, e.g. -O2). Recompiles only what is out of date, so a second run is quick.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
mkdir -p "$1/obj"
out=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
cxx=${CXX:-clang++}
jobs=${JOBS:-2}

if ! command -v "$cxx" > /dev/null; then
  echo "fuzz/build.sh: $cxx not found; run scripts/bootstrap --test" >&2
  exit 1
fi
# Debian ships libFuzzer and the sanitizer runtimes apart from clang (libclang-rt-14-dev).
probe="$out/obj/probe"
if [ ! -f "$probe" ]; then
  echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' |
    "$cxx" -x c++ -fsanitize=fuzzer,address,undefined - -o "$probe" || {
    echo "fuzz/build.sh: $cxx cannot link with libFuzzer and the sanitizers" \
         "(on Debian: libclang-rt-14-dev); run scripts/bootstrap --test" >&2
    exit 1
  }
fi

# src/policy uses absl::Status(Or) and fmt::format, from Debian's packages.
pkgs=(absl_status absl_statusor absl_strings fmt)
cflags="-std=c++20 -gline-tables-only -O1 -fno-omit-frame-pointer -fsanitize=address,undefined"
cflags+=" -fno-sanitize-recover=undefined -I$src/src $(pkg-config --cflags "${pkgs[@]}")"
cflags+=" ${FUZZ_CXXFLAGS:-}"
libs=$(pkg-config --libs "${pkgs[@]}")

sources=("$src/fuzz/policy_parser_fuzz.cc")
for f in "$src"/src/policy/*.cc; do
  case "$f" in *_test.cc) ;; *) sources+=("$f") ;; esac
done

# Different compiler or flags: start over.
stamp="$out/obj/flags"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$cxx $cflags" ]; then
  rm -f "$out"/obj/*.o "$out"/obj/*.d
  printf '%s' "$cxx $cflags" > "$stamp"
fi

object_of() { echo "$out/obj/$(basename "${1%.cc}").o"; }

# True if OBJ is missing or older than its source or any header it included (from -MMD).
stale() {
  local obj=$1 dep=${1%.o}.d f
  [ -f "$obj" ] && [ -f "$dep" ] || return 0
  # shellcheck disable=SC2013  # a dependency file lists paths separated by spaces
  for f in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$dep"); do
    [ "$f" -nt "$obj" ] && return 0
  done
  return 1
}

todo=()
for f in "${sources[@]}"; do
  stale "$(object_of "$f")" && todo+=("$f")
done

if [ ${#todo[@]} -gt 0 ]; then
  echo "fuzz/build.sh: compiling ${#todo[@]} of ${#sources[@]} sources with $cxx, $jobs at a time"
  # Everything gets libFuzzer's coverage instrumentation; libFuzzer's main comes in at the link.
  export cxx cflags out
  # shellcheck disable=SC2016  # expanded by the inner sh
  printf '%s\0' "${todo[@]}" | xargs -0 -P "$jobs" -I{} sh -c '
    obj="$out/obj/$(basename "${1%.cc}").o"
    $cxx $cflags -fsanitize=fuzzer-no-link -MMD -c "$1" -o "$obj" || { rm -f "$obj"; exit 255; }
  ' sh {}
fi

objects=()
for f in "${sources[@]}"; do objects+=("$(object_of "$f")"); done
target="$out/policy_parser_fuzz"
relink=0
[ -f "$target" ] || relink=1
for o in "${objects[@]}"; do [ "$o" -nt "$target" ] && relink=1; done
if [ "$relink" = 1 ]; then
  # shellcheck disable=SC2086  # the flag strings are meant to split
  $cxx $cflags -fsanitize=fuzzer "${objects[@]}" $libs -o "$target"
fi
echo "fuzz/build.sh: $target"
