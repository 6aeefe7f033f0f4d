#!/usr/bin/env bash
# Recipes at scale (see bench/README.md, "Recipes at scale"): a generated recipe of N steps over multi-GiB images,
# run cold, then rerun with nothing to do; for N in BENCH_STEPS (default "10 30 100"), so the growth per step shows.
# Then cold hashing: what `imagebuild run` takes to rehash a touched input (the sparse disk) and a touched output
# (its dense qcow2), page cache dropped, against SHA-256 (openssl's, with the CPU's SHA instructions: coreutils'
# sha256sum is several times slower), xxh128sum (the cache's hash family) and dd of the files.
# On demand only, never in CI.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data_mb="${BENCH_DATA_MB:-1024}"      # real file data copied into the filesystem
image_mb="${BENCH_IMAGE_MB:-4096}"    # size of the raw disk image holding it
sources="${BENCH_SOURCES:-/usr/lib /usr/share}"
work_root="${BENCH_WORK:-$repo/bench/work}"
runs="${BENCH_RUNS:-5}"               # no-op reruns per N (and cold hashing runs per file and tool)
step_counts="${BENCH_STEPS:-10 30 100}"

. "$repo/bench/lib.sh"
need qemu-img qemu-utils
need xxh128sum xxhash
need openssl openssl
need_time

mkdir -p "$work_root"
work="$(mktemp -d "$work_root/recipe-scale.XXXXXX")"
trap 'rm -rf "$work"; rmdir "$work_root" 2>/dev/null || true' EXIT

imagebuild_under_test "$repo" "$work"
ext4_disk "$work" "$data_mb" "$image_mb" "$sources"
echo "bench: disk.raw ${image_mb} MiB virtual, $(( $(du -B1 "$work/disk.raw" | cut -f1) >> 20 )) MiB allocated; $(nproc) cores" >&2

# Whether the page cache can be dropped (root, and not refused by the container).
can_drop=0
if sync && echo 3 > /proc/sys/vm/drop_caches 2>/dev/null; then can_drop=1; else echo "bench: cannot drop the page cache: cold figures are warm" >&2; fi
drop_caches() { sync; [ "$can_drop" = 1 ] && echo 3 > /proc/sys/vm/drop_caches; true; }

# recipe N: writes recipe-N.yaml, a realistic mix of N steps. A head of 6 steps over the multi-GiB images (the ext4
# disk as an existing image, a blank 8 GiB raw, the disk as qcow2 and as zstd-compressed qcow2, a measure gate and a
# check), then groups of 8 over alternately the disk's qcow2 (1 GiB of data below) and the blank disk: an overlay,
# a pattern write, a file write (a repository file of its own per group), an internal snapshot, a resize, a check, a
# measure, and a conversion (over the blank disk) or a compare (over the disk). Cut at exactly N steps.
recipe() {
    local n="$1" f="$work/recipe-$1.yaml" count=0 g base
    mkdir -p "$work/content"
    {
        echo "name: scale-$n"
        echo "steps:"
        emit() { ((count < n)) || return 0; printf '  - id: %s\n    kind: %s\n' "$1" "$2"; shift 2; local kv; for kv in "$@"; do printf '    %s\n' "$kv"; done; count=$((count + 1)); }
        emit disk image "file: disk.raw" "format: raw"
        emit blank create "size: 8G"
        emit disk-qcow2 convert "from: disk" "format: qcow2"
        emit disk-zstd compress "from: disk" "type: zstd"
        emit gate measure "from: disk-qcow2" "format: qcow2" "max-required: 8G"
        emit disk-check check "from: disk-qcow2"
        for ((g = 1; count < n; g++)); do
            if ((g % 2 == 0)); then base=disk-qcow2; else base=blank; fi
            printf 'group %d of a generated recipe\n' "$g" > "$work/content/g$g.txt"
            emit "o$g" overlay "from: $base"
            emit "w$g" write "from: o$g" "offset: $((g * 64 % (image_mb / 2)))M" "pattern: $((g % 255 + 1))" "length: 16M"
            emit "f$g" write "from: w$g" "offset: $((g * 64 % (image_mb / 2) + 32))M" "file: content/g$g.txt"
            emit "s$g" snapshot "from: f$g" "name: g$g"
            emit "r$g" resize "from: s$g" "size: +1G"
            emit "c$g" check "from: r$g"
            emit "m$g" measure "from: r$g" "format: qcow2"
            if [ "$base" = blank ]; then emit "x$g" convert "from: f$g" "format: qcow2"; else emit "x$g" compare "from: f$g" "image: s$g"; fi
        done
    } > "$f"
}

timed_variables="ib"
timed_functions="ib_run"
ib_run() { # ib_run N: runs recipe-N into out-N, its output in last-N.txt (the runner's own time is on its last line)
    "${ib[@]}" run "$work/recipe-$1.yaml" --output-dir "$work/out-$1" > "$work/last-$1.txt"
}
by_n() { { IFS= read -r a; IFS= read -r b; printf '%s\n%s\n' "$a" "$b"; sort -t'|' -k2,2n; }; } # table rows by N
runner_seconds() { sed -n 's/.*(\([0-9.]*\) s); summary.*/\1/p' "$work/last-$1.txt"; }

results="$work/results.txt"
runner="$work/runner.txt"
timed "start-up:--version" "${ib[*]} --version" >> "$results"
for n in $step_counts; do
    recipe "$n"
    echo "bench: N=$n: cold run" >&2
    drop_caches
    timed "$n:cold" ib_run "$n" >> "$results"
    grep -q "ok: $n ran" "$work/last-$n.txt" || { echo "bench: N=$n: the cold run did not run every step:" >&2; tail -3 "$work/last-$n.txt" >&2; exit 1; }
    for ((i = 1; i <= runs; i++)); do
        timed "$n:no-op" ib_run "$n" >> "$results"
        grep -q "ok: 0 ran, $n up to date" "$work/last-$n.txt" || { echo "bench: N=$n: the rerun was not a no-op:" >&2; tail -3 "$work/last-$n.txt" >&2; exit 1; }
        echo "$n:no-op-in-runner $(runner_seconds "$n") 0" >> "$runner"
    done
done

# Correctness at scale: changing one group's repository file reruns exactly that group's steps below the write.
n_last="${step_counts##* }"
if grep -q 'id: f1$' "$work/recipe-$n_last.yaml"; then
    echo "changed" >> "$work/content/g1.txt"
    ib_run "$n_last"
    ran=$(grep -o 'ok: [0-9]* ran' "$work/last-$n_last.txt")
    # The steps from f1 down (f1 s1 r1 c1 m1 x1), as many as the recipe has: a short one ends inside group 1.
    expected=$(grep -cE 'id: (f1|s1|r1|c1|m1|x1)$' "$work/recipe-$n_last.yaml")
    echo "bench: after changing content/g1.txt: $ran (expected the $expected steps from f1 down)" >&2
    [ "$ran" = "ok: $expected ran" ] || { cat "$work/last-$n_last.txt" >&2; exit 1; }
fi

# Cold hashing: the runner rehashes a file whose stamp no longer matches (touch), reading only its data extents.
# A recipe of two steps, so that the runner's own time is the hash: the input disk.raw (sparse, BENCH_DATA_MB of
# data in BENCH_IMAGE_MB) as an image step, and its conversion to qcow2 (dense), whose output is the file rehashed.
printf 'name: hash\nsteps:\n  - id: disk\n    kind: image\n    file: disk.raw\n    format: raw\n  - id: dense\n    kind: convert\n    from: disk\n    format: qcow2\n' > "$work/recipe-hash.yaml"
ib_run hash
hash_table="$work/hashing.txt"
for ((i = 1; i <= runs; i++)); do
    for file in "$work/disk.raw" "$work/out-hash/dense.qcow2"; do
        name="$(basename "$file")"
        # A minute in the past: the stamp no longer matches, and is not "racy" (modified less than 2 s before the run
        # recorded it, which makes the next run rehash the file again: disk.raw's rehash would count in dense's run).
        touch -d "@$(( $(date +%s) - 60 ))" "$file"; drop_caches
        timed "$name:imagebuild-run" ib_run hash >> "$hash_table"
        grep -q "ok: 0 ran" "$work/last-hash.txt" || { tail -3 "$work/last-hash.txt" >&2; exit 1; }
        echo "$name:imagebuild-in-runner $(runner_seconds hash) 0" >> "$hash_table"
        drop_caches; timed "$name:openssl-sha256" "openssl dgst -sha256 '$file'" >> "$hash_table"
        drop_caches; timed "$name:xxh128sum" "xxh128sum '$file'" >> "$hash_table"
        drop_caches; timed "$name:dd-bs=4M" "dd if='$file' of=/dev/null bs=4M" >> "$hash_table"
    done
done

echo
echo "recipe of N steps: $(nproc) cores, ${image_mb} MiB disk with $(( $(du -B1 "$work/disk.raw" | cut -f1) >> 20 )) MiB allocated, $runs no-op runs; cache dropped before cold runs: $([ $can_drop = 1 ] && echo yes || echo no)"
median_table "$results" N | by_n
echo
echo "the runner's own time in the no-op runs (the 'finish' line: after start-up and loading the recipe)"
median_table "$runner" N | cut -d'|' -f1-4 | sed 's/$/|/' | by_n
echo
for file in "$work/disk.raw" "$work/out-hash/dense.qcow2"; do
    echo "$(basename "$file"): $(stat -c %s "$file") bytes, $(( $(du -B1 "$file" | cut -f1) >> 20 )) MiB allocated"
done
echo "cold hashing (page cache dropped before each; imagebuild-run is the whole process, imagebuild-in-runner the runner's own time, i.e. the hash)"
median_table "$hash_table" file
