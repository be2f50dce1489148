#!/usr/bin/env bash
# Fuzzes the parsers that read outside input with libFuzzer (docs/fuzzing.md).
#
#   scripts/fuzz.sh [--runs N] [--time SECONDS] [--long] [Target…]
#
# Targets are Fuzz/Targets/<Target>Fuzz.swift (default: all). By default each runs 20,000 inputs, at most 20 s
# (CI); --long runs each for 10 minutes; --runs and --time set either limit (--runs -1, --time 0: none).
#
# Build: WLDomain's sources are compiled once with `-sanitize=fuzzer,address` into .build/fuzz/lib (a static library
# and its module). Files that import Crypto (API key hashes, tracking tokens, webhook signatures: none reads outside
# input as text) are left out, and so is any file that then fails to compile, so no instrumented swift-crypto is
# needed; the files left out are printed. Each target is Fuzz/Support/*.swift plus its own file, linked with
# libFuzzer's main. Nothing here needs `swift build`.
#
# Corpora: seeds are read from Fuzz/corpus/<Target>/ (in the repo, never written); inputs the fuzzer finds go to
# .build/fuzz/corpus/<Target>/ and crash reproducers to .build/fuzz/crashes/<Target>/. A crash or broken invariant
# exits non-zero after printing the reproducer and the command that replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=20000
seconds=20
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --time) seconds="$2"; shift 2 ;;
    --long) runs=-1; seconds=600; shift ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  for file in Fuzz/Targets/*Fuzz.swift; do
    name=$(basename "$file" .swift)
    targets+=("${name%Fuzz}")
  done
fi
for target in "${targets[@]}"; do
  [ -f "Fuzz/Targets/${target}Fuzz.swift" ] || { echo "no target $target (Fuzz/Targets/${target}Fuzz.swift)" >&2; exit 2; }
done

out=.build/fuzz
lib=$out/lib
mkdir -p "$lib" "$out/bin"
flags=(-swift-version 6 -parse-as-library -Onone -g -sanitize=fuzzer,address
  -enable-upcoming-feature ExistentialAny -enable-upcoming-feature InternalImportsByDefault)

# WLDomain, instrumented, rebuilt when a source changed.
if [ ! -f "$lib/libWLDomain.a" ] || [ -n "$(find Sources/WLDomain -name '*.swift' -newer "$lib/libWLDomain.a" | head -1)" ]; then
  mapfile -t sources < <(grep -L -E '^(public |internal |@_implementationOnly )?import Crypto' Sources/WLDomain/*.swift)
  for _ in 1 2 3 4 5; do
    if swiftc -typecheck "${flags[@]}" -module-name WLDomain "${sources[@]}" >"$out/typecheck.log" 2>&1; then break; fi
    mapfile -t failing < <(grep -oE '^Sources/WLDomain/[^:]+\.swift:[0-9]+:[0-9]+: error' "$out/typecheck.log" | cut -d: -f1 | sort -u)
    [ ${#failing[@]} -gt 0 ] || { cat "$out/typecheck.log" >&2; exit 1; }
    mapfile -t sources < <(printf '%s\n' "${sources[@]}" | grep -vxF -f <(printf '%s\n' "${failing[@]}"))
  done
  left_out=$(comm -23 <(ls Sources/WLDomain/*.swift | sort) <(printf '%s\n' "${sources[@]}" | sort) | xargs -n1 basename | tr '\n' ' ')
  echo "fuzz: building WLDomain without ${left_out:-nothing}"
  rm -f "$lib/libWLDomain.a"
  swiftc "${flags[@]}" -module-name WLDomain -emit-module -emit-module-path "$lib/WLDomain.swiftmodule" \
    -emit-library -static -o "$lib/libWLDomain.a" "${sources[@]}"
fi

for target in "${targets[@]}"; do
  binary=$out/bin/$target
  if [ ! -x "$binary" ] || [ -n "$(find "$lib/libWLDomain.a" Fuzz/Support "Fuzz/Targets/${target}Fuzz.swift" -newer "$binary" | head -1)" ]; then
    swiftc "${flags[@]}" -module-name "${target}Fuzz" -I "$lib" Fuzz/Support/*.swift "Fuzz/Targets/${target}Fuzz.swift" \
      "$lib/libWLDomain.a" -use-ld=lld -o "$binary"
  fi
done

# The Swift runtime's backtracer trips AddressSanitizer while reporting a crash, burying the real message.
export SWIFT_BACKTRACE=enable=no
status=0
for target in "${targets[@]}"; do
  corpus=$out/corpus/$target
  crashes=$out/crashes/$target
  seeds=Fuzz/corpus/$target
  mkdir -p "$corpus" "$crashes" "$seeds"
  log=$out/$target.log
  start=$SECONDS
  if "$out/bin/$target" "$corpus" "$seeds" -runs="$runs" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix="$crashes/" -print_final_stats=1 >"$log" 2>&1; then
    echo "fuzz: $target ok: $(grep -m1 -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$') runs in $((SECONDS - start)) s"
  else
    status=1
    reproducer=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -1 | sed 's/Test unit written to //')
    echo "fuzz: $target FAILED (log $log)" >&2
    grep -E "Fatal error|ERROR: (AddressSanitizer|libFuzzer)|SUMMARY" "$log" | head -5 >&2 || true
    echo "fuzz: reproducer ${reproducer:-none written}; replay with $out/bin/$target ${reproducer:-}" >&2
  fi
done
exit $status
