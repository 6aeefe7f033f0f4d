#!/usr/bin/env bash
# On-demand fuzzing of ImageBuild's parsers (see README.md beside this script). Not run by CI.
#
#   run.sh build                 build the harness into $FUZZ_OUT/bin and instrument it (SharpFuzz)
#   run.sh seeds                 make the seed corpora with qemu-img into $FUZZ_OUT/seeds/<target>
#   run.sh afl TARGET [SECONDS]  one afl-fuzz instance on TARGET (qcow2, probe, raw, recipe); stops by itself
#   run.sh replay TARGET PATH... run files once each (crashes, hangs, queue) and print what happened
#   run.sh diff [OPTIONS]        differential run against qemu-img (needs a Release build of the CLI)
#   run.sh stats [TARGET]        the figures of afl's fuzzer_stats
#
# Everything it makes goes under $FUZZ_OUT (default /work/fuzz-out), outside the repository.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${FUZZ_OUT:-/work/fuzz-out}
BIN=$OUT/bin              # instrumented: for afl-fuzz only
PLAIN=$OUT/bin-plain      # not instrumented: replay and diff (instrumented code runs only under afl)
HARNESS=$BIN/ImageBuild.Fuzz.dll

need_afl() {
    if ! command -v afl-fuzz >/dev/null; then
        echo "installing afl++ (Debian package)" >&2
        apt-get install -y afl++ >/dev/null || { apt-get update >/dev/null && apt-get install -y afl++ >/dev/null; }
    fi
}

build() {
    mkdir -p "$BIN" "$PLAIN"
    dotnet build "$HERE/ImageBuild.Fuzz.csproj" -c Release -o "$PLAIN" >/dev/null
    cp -a "$PLAIN/." "$BIN/"
    (cd "$ROOT" && dotnet tool restore >/dev/null)
    # Coverage instrumentation of the parsers' assemblies (in place, in $BIN only).
    for dll in ImageBuild.Engine.dll ImageBuild.Recipes.dll YamlDotNet.dll; do
        (cd "$ROOT" && dotnet sharpfuzz "$BIN/$dll")
    done
}

seeds() {
    local s=$OUT/seeds
    [ -f "$PLAIN/ImageBuild.Fuzz.dll" ] || build
    rm -rf "$s"
    mkdir -p "$s/qcow2" "$s/raw" "$s/recipe"
    # qcow2 seeds: made by qemu-img/qemu-io from the list in Seeds/SeedCatalog.cs (regression files use it too)
    dotnet "$PLAIN/ImageBuild.Fuzz.dll" seeds "$s/qcow2"
    head -c 4096 "$s/qcow2/compressed-zlib.qcow2" > "$s/raw/small.raw"
    printf 'QFI\373' > "$s/raw/qfi-magic-only"
    # recipe seeds: the project's own recipes, small enough to mutate
    find "$ROOT/recipes" -name '*.yaml' -size -8k -exec cp {} "$s/recipe/" \;
    ls -l "$s"/*
}

afl() {
    local target=$1 seconds=${2:-3900}
    need_afl
    [ -f "$HARNESS" ] || build
    [ -d "$OUT/seeds/qcow2" ] || seeds
    local in=$OUT/seeds/$target
    case $target in probe) in=$OUT/seeds/qcow2 ;; esac
    # The campaign runs its own copy of the instrumented build, so that a later build cannot change the
    # instrumentation under a running afl-fuzz.
    local bin=$OUT/afl-$target.bin
    rm -rf "$bin" && cp -a "$BIN" "$bin"
    # afl-fuzz drives dotnet (not an AFL-compiled binary): SharpFuzz's instrumentation reports the coverage.
    # AFL_AUTORESUME: an existing output directory is resumed (its queue becomes the input).
    export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_AUTORESUME=1
    # /usr/bin/time records the CPU time of afl-fuzz and every process it ran (in $OUT/afl-$target.time).
    exec /usr/bin/time -v -o "$OUT/afl-$target.time" \
        afl-fuzz -i "$in" -o "$OUT/afl-$target" -t 5000 -m none -V "$seconds" -- dotnet "$bin/ImageBuild.Fuzz.dll" afl "$target"
}

stats() {
    local target=${1:-qcow2} f=$OUT/afl-${1:-qcow2}/default/fuzzer_stats
    grep -E '^(start_time|last_update|run_time|execs_done|execs_per_sec|corpus_count|paths_total|saved_crashes|unique_crashes|saved_hangs|unique_hangs|bitmap_cvg|stability)\b' "$f"
    local pid; pid=$(awk '$1=="fuzzer_pid"{print $3}' "$f")
    if [ -r "/proc/$pid/stat" ]; then
        # CPU seconds of the running campaign: every live process under afl-fuzz, plus the children they reaped
        local ticks=0 p
        for p in $pid $(pgrep -P "$pid") $(for c in $(pgrep -P "$pid"); do pgrep -P "$c"; done); do
            [ -r "/proc/$p/stat" ] && ticks=$((ticks + $(awk '{print $14+$15+$16+$17}' "/proc/$p/stat")))
        done
        echo "cpu_seconds       : $((ticks / $(getconf CLK_TCK))) (running)"
    elif [ -f "$OUT/afl-$target.time" ]; then
        grep -E 'User time|System time|Elapsed' "$OUT/afl-$target.time"
    fi
    return 0
}

cmd=${1:-}
shift || true
case $cmd in
    build) build ;;
    seeds) seeds ;;
    afl) afl "$@" ;;
    replay) [ -f "$HARNESS" ] || build; dotnet "$PLAIN/ImageBuild.Fuzz.dll" replay "$@" ;;
    diff) [ -f "$HARNESS" ] || build
          dotnet "$PLAIN/ImageBuild.Fuzz.dll" diff --cli "$ROOT/src/ImageBuild.Cli/bin/Release/net10.0/imagebuild.dll" --out "$OUT/diff" "$@" ;;
    stats) stats "$@" ;;
    *) sed -n '2,12p' "$0"; exit 1 ;;
esac
