#!/usr/bin/env bash
# Times the filesystem writers (see bench/README.md, "Filesystems from folders") against the tools a user without
# imagebuild runs on the same tree in the same run: FAT32 by our writer against mkfs.vfat + mcopy -s, ext4 by ours
# (mke2fs -d plus the reproducibility fixup) against mke2fs -d alone. Two tables: the writers themselves
# (FilesystemBench, in one process), and whole cold `imagebuild run`s of a one-step recipe into a fresh output
# directory, which also read the folder, hash every file for the step key and hash the output for the incremental
# skip, and start a .NET process.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
data_mb="${BENCH_DATA_MB:-300}"       # real file data in the tree
image_mb="${BENCH_IMAGE_MB:-512}"     # size of each filesystem
sources="${BENCH_SOURCES:-/usr/lib}"
work_root="${BENCH_WORK:-$repo/bench/work}"
runs="${BENCH_RUNS:-3}"

. "$repo/bench/lib.sh"
need mkfs.vfat dosfstools
need mcopy mtools
need mke2fs e2fsprogs
need_time

mkdir -p "$work_root"
work="$(mktemp -d "$work_root/filesystems.XXXXXX")"
trap 'rm -rf "$work"; rmdir "$work_root" 2>/dev/null || true' EXIT

imagebuild_under_test "$repo" "$work"

# The tree: regular files up to the amount, without names FAT cannot hold (\ : * ? " < > |) or that differ only in
# case from another in the same directory (FAT is case-insensitive), so that every tool can take all of it.
echo "bench: collecting ~${data_mb} MiB of files from $sources" >&2
find $sources -xdev -type f -size -64M -readable -printf '%s\t%p\n' > "$work/all-files.txt" 2>/dev/null || true
sort -t$'\t' -k2 -o "$work/all-files.txt" "$work/all-files.txt"
awk -F'\t' -v limit=$((data_mb * 1024 * 1024)) '
        $2 ~ /[\\:*?"<>|]/ { next }
        { key = tolower($2); if (key in seen) next; seen[key] = 1 }
        { if (sum + $1 > limit) exit; sum += $1; print $2 }' "$work/all-files.txt" > "$work/files.txt"
mkdir -p "$work/tree"
tar -cf - -T "$work/files.txt" 2>/dev/null | tar -xf - -C "$work/tree"
echo "bench: tree of $(($(du -sb "$work/tree" | cut -f1) >> 20)) MiB in $(find "$work/tree" | wc -l) entries; ${image_mb} MiB filesystems; $(nproc) cores" >&2

recipe() { # recipe NAME TYPE
    printf 'name: %s\nsteps:\n  - id: fs\n    kind: filesystem\n    type: %s\n    size: %sM\n    tree: tree\n' "$1" "$2" "$image_mb" > "$work/$1.yaml"
}
recipe fat fat32
recipe ext4 ext4

timed_variables="ib image_mb"
timed_functions="ib_run fat_by_hand ext4_by_hand"

ib_run() { # ib_run NAME: a fresh output directory each time, so the step runs
    rm -rf "$work/out-$1"
    "${ib[@]}" run "$work/$1.yaml" --output-dir "$work/out-$1"
}

fat_by_hand() { # mkfs.vfat, then mcopy -s of the tree's top-level entries into the root
    rm -f "$work/fat.img" && truncate -s "${image_mb}M" "$work/fat.img"
    mkfs.vfat -F 32 "$work/fat.img" >/dev/null
    mcopy -s -Q -D o -i "$work/fat.img" "$work"/tree/* ::/
}

ext4_by_hand() {
    rm -f "$work/ext4.img"
    mke2fs -q -F -t ext4 -d "$work/tree" "$work/ext4.img" "${image_mb}M"
}

settle() { # before each timing: the previous outputs gone and every dirty page written back, so that no command
    # pays for the write-back of the one before it (none of them syncs its own output)
    rm -rf "$work"/out-* "$work/fat.img" "$work/ext4.img"
    sync
}

echo "bench: the writers, in one process" >&2
dotnet run --project "$repo/bench/filesystems" -c Release -- "$work/tree" "$work" "$image_mb" "$runs"

results="$work/results.txt"
for ((i = 1; i <= runs; i++)); do
    echo "bench: run $i of $runs" >&2
    settle; timed "fat32:imagebuild" ib_run fat >> "$results"
    settle; timed "fat32:mkfs.vfat+mcopy-s" fat_by_hand >> "$results"
    settle; timed "ext4:imagebuild" ib_run ext4 >> "$results"
    settle; timed "ext4:mke2fs-d" ext4_by_hand >> "$results"
done
# Keep the last outputs of each for the checks below.
ib_run fat >/dev/null; fat_by_hand; ib_run ext4 >/dev/null; ext4_by_hand
# The outputs hold the same files (checked here, not only timed): fsck of each and a listing count.
fsck.vfat -n "$work/out-fat/fs.raw" >/dev/null && fsck.vfat -n "$work/fat.img" >/dev/null
e2fsck -fn "$work/out-ext4/fs.raw" >/dev/null && e2fsck -fn "$work/ext4.img" >/dev/null
echo "bench: files in FAT (ours, mcopy): $(mdir -/ -b -i "$work/out-fat/fs.raw" :: | grep -vc '/$'), $(mdir -/ -b -i "$work/fat.img" :: | grep -vc '/$')" >&2

echo
echo "whole runs: imagebuild run (cold process, fresh output directory) against the tools"
echo
median_table "$results" filesystem
