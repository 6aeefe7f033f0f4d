#!/usr/bin/env bash
# Times `convert -f dmg -O raw` with qemu-img and imagebuild on a DMG of realistic size (see README.md).
# Usage: bash bench/dmg/run.sh   (BENCH_DMG_DATA_MB, BENCH_DMG_IMAGE_MB, BENCH_RUNS, BENCH_WORK, QEMU_IMG)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
data_mb="${BENCH_DMG_DATA_MB:-300}"
image_mb="${BENCH_DMG_IMAGE_MB:-512}"
runs="${BENCH_RUNS:-3}"
qemu_img="${QEMU_IMG:-qemu-img}"
work_root="${BENCH_WORK:-$repo/bench/work}"
mkdir -p "$work_root"
work="$(mktemp -d "$work_root/dmg.XXXXXX")"
trap 'rm -rf "$work"; rmdir "$work_root" 2>/dev/null || true' EXIT

dotnet build "$repo/src/ImageBuild.Cli" -c Release -o "$work/bin" -v quiet -nologo >&2
dotnet build "$here" -c Release -o "$work/builder" -v quiet -nologo >&2

echo "bench: ext4 of ~${data_mb} MiB of /usr files in a ${image_mb} MiB disk" >&2
mkdir -p "$work/data"
find /usr/lib /usr/share -xdev -type f -size -64M -readable -printf '%s\t%p\n' > "$work/all-files.txt" 2>/dev/null || true
awk -F'\t' -v limit=$((data_mb * 1024 * 1024)) '{ if (sum + $1 > limit) exit; sum += $1; print $2 }' "$work/all-files.txt" > "$work/files.txt"
tar -cf - -T "$work/files.txt" 2>/dev/null | tar -xf - -C "$work/data"
truncate -s "${image_mb}M" "$work/disk.raw"
mke2fs -q -F -t ext4 -d "$work/data" "$work/disk.raw"
rm -rf "$work/data"
echo "bench: writing the DMG (zlib chunks of 1 MiB)" >&2
"$work/builder/DmgBench" "$work/disk.raw" "$work/disk.dmg" zlib
ls -l "$work/disk.dmg" | awk '{ printf "bench: disk.dmg is %d MiB\n", $5 / 1048576 }' >&2

time_one() { # time_one NAME CMD... -> "wall cpu rss"
    local name=$1; shift
    rm -f "$work/out.raw"
    /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$@" >/dev/null
    cmp -s "$work/out.raw" "$work/disk.raw" || { echo "bench: $name output differs from the disk" >&2; exit 1; }
    awk '{ printf "%.2f %.2f %d\n", $1, $2 + $3, $4 / 1024 }' "$work/t"
}
declare -a q t
for i in $(seq "$runs"); do
    q+=("$(time_one qemu-img "$qemu_img" convert -f dmg -O raw "$work/disk.dmg" "$work/out.raw" 2>/dev/null)")
    t+=("$(time_one imagebuild "$work/bin/imagebuild" convert -f dmg -O raw "$work/disk.dmg" "$work/out.raw")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'; }
mq=$(median "${q[@]}"); mt=$(median "${t[@]}")
printf '%-12s %8s %8s %8s\n' "tool" "wall s" "cpu s" "rss MiB"
printf '%-12s %8s %8s %8s\n' qemu-img $mq
printf '%-12s %8s %8s %8s\n' imagebuild $mt
awk -v a="${mq%% *}" -v b="${mt%% *}" 'BEGIN { printf "speed-up (qemu-img wall / imagebuild wall): %.2f\n", a / b }'
