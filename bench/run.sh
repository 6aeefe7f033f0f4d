#!/usr/bin/env bash
# Times imagebuild against qemu-img on a realistic ext4 image (see bench/README.md).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data_mb="${BENCH_DATA_MB:-2048}"      # real file data copied into the filesystem
image_mb="${BENCH_IMAGE_MB:-3072}"    # size of the raw disk image holding it
sources="${BENCH_SOURCES:-/usr/lib /usr/share}"
work_root="${BENCH_WORK:-$repo/bench/work}"
qemu_img="${QEMU_IMG:-qemu-img}"

need() { # need COMMAND DEBIAN-PACKAGE
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "bench: installing $2 (for $1)" >&2
        apt-get update -qq && apt-get install -y -qq "$2" >/dev/null
    fi
}
need mke2fs e2fsprogs
need qemu-img qemu-utils
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

mkdir -p "$work_root"
work="$(mktemp -d "$work_root/run.XXXXXX")"
cleanup() { rm -rf "$work"; rmdir "$work_root" 2>/dev/null || true; }
trap cleanup EXIT

# The tool under test: IMAGEBUILD_EXE (e.g. /usr/bin/qemu-img to check the script), else a Release build.
if [ -n "${IMAGEBUILD_EXE:-}" ]; then
    case "$IMAGEBUILD_EXE" in
        *.dll) ib=(dotnet "$IMAGEBUILD_EXE") ;;
        *) ib=("$IMAGEBUILD_EXE") ;;
    esac
else
    echo "bench: building imagebuild (Release)" >&2
    dotnet build "$repo/src/ImageBuild.Cli" -c Release -o "$work/bin" -v quiet -nologo >&2
    ib=("$work/bin/imagebuild")
fi
qi=("$qemu_img")

echo "bench: collecting ~${data_mb} MiB of files from $sources" >&2
mkdir -p "$work/data"
# size-bounded list of regular files, stopping at the target amount
find $sources -xdev -type f -size -64M -readable -printf '%s\t%p\n' > "$work/all-files.txt" 2>/dev/null || true
awk -F'\t' -v limit=$((data_mb * 1024 * 1024)) '{ if (sum + $1 > limit) exit; sum += $1; print $2 }' \
    "$work/all-files.txt" > "$work/files.txt"
tar -cf - -T "$work/files.txt" 2>/dev/null | tar -xf - -C "$work/data"
actual_data_mb=$(( $(du -sb "$work/data" | cut -f1) / 1024 / 1024 ))

echo "bench: mke2fs -t ext4 -d (${actual_data_mb} MiB of data in a ${image_mb} MiB image)" >&2
truncate -s "${image_mb}M" "$work/disk.raw"
mke2fs -q -F -t ext4 -d "$work/data" "$work/disk.raw"
rm -rf "$work/data"
# reference qcow2 made by qemu-img: the common input of the qcow2→raw and compare runs
"$qemu_img" convert -f raw -O qcow2 "$work/disk.raw" "$work/ref.qcow2"
compressed="${BENCH_COMPRESSED:-1}"   # 0 skips the compressed conversions (qemu-img's zlib run is slow)
if [ "$compressed" = 1 ]; then
    "$qemu_img" convert -c -f raw -O qcow2 "$work/disk.raw" "$work/ref-zlib.qcow2"
fi

results=()
measure() { # measure LABEL TOOL-NAME CMD...
    local label="$1" tool="$2"; shift 2
    local tf="$work/time.txt"
    # Start every run from the same state: the previous run's output written back, so neither tool pays for the
    # other's dirty pages.
    sync
    set +e
    /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >"$work/out.txt" 2>"$work/err.txt"
    local rc=$?
    set -e
    read -r wall user sys rss < <(tail -n 1 "$tf")
    local cpu; cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    results+=("$label|$tool|$wall|$cpu|$((rss / 1024))|$rc")
    if [ "$label" != compare ] && [ $rc -ne 0 ]; then
        echo "bench: $tool $label failed ($rc): $(head -c 500 "$work/err.txt")" >&2
        exit 1
    fi
}

for tool in qemu-img imagebuild; do
    if [ $tool = qemu-img ]; then cmd=("${qi[@]}"); else cmd=("${ib[@]}"); fi
    echo "bench: running $tool" >&2
    measure "convert raw->qcow2" $tool "${cmd[@]}" convert -f raw -O qcow2 "$work/disk.raw" "$work/$tool.qcow2"
    measure "convert qcow2->raw" $tool "${cmd[@]}" convert -f qcow2 -O raw "$work/ref.qcow2" "$work/$tool.raw"
    measure "compare" $tool "${cmd[@]}" compare -f raw -F qcow2 "$work/disk.raw" "$work/ref.qcow2"
    cp "$work/out.txt" "$work/compare-$tool.txt"
    if [ "$compressed" = 1 ]; then
        measure "convert -c zlib" $tool "${cmd[@]}" convert -c -f raw -O qcow2 "$work/disk.raw" "$work/$tool-zlib.qcow2"
        measure "convert -c zstd" $tool "${cmd[@]}" convert -c -f raw -O qcow2 -o compression_type=zstd "$work/disk.raw" "$work/$tool-zstd.qcow2"
        measure "expand zlib->raw" $tool "${cmd[@]}" convert -f qcow2 -O raw "$work/ref-zlib.qcow2" "$work/$tool-expanded.raw"
    fi
done

echo "bench: verifying outputs with qemu-img compare" >&2
status=0
outputs=(imagebuild.qcow2 imagebuild.raw)
[ "$compressed" = 1 ] && outputs+=(imagebuild-zlib.qcow2 imagebuild-zstd.qcow2 imagebuild-expanded.raw)
for f in "${outputs[@]}"; do
    if ! "$qemu_img" compare -q "$work/disk.raw" "$work/$f"; then echo "bench: $f differs from the source" >&2; status=1; fi
done
if ! cmp -s "$work/compare-qemu-img.txt" "$work/compare-imagebuild.txt"; then
    echo "bench: compare printed something else than qemu-img" >&2; status=1
fi
ib_qcow2=$(stat -c %b "$work/imagebuild.qcow2"); qi_qcow2=$(stat -c %b "$work/qemu-img.qcow2")

echo
echo "image: ${image_mb} MiB ext4, ${actual_data_mb} MiB of files; tool under test: ${ib[*]}"
printf '%-20s %-11s %9s %9s %9s %5s\n' operation tool wall-s cpu-s rss-MiB exit
for r in "${results[@]}"; do
    IFS='|' read -r label tool wall cpu rss rc <<<"$r"
    printf '%-20s %-11s %9s %9s %9s %5s\n' "$label" "$tool" "$wall" "$cpu" "$rss" "$rc"
done
echo
printf '%-20s %12s %12s %12s\n' "ratio ib/qemu" wall cpu rss
labels=("convert raw->qcow2" "convert qcow2->raw" "compare")
[ "$compressed" = 1 ] && labels+=("convert -c zlib" "convert -c zstd" "expand zlib->raw")
for label in "${labels[@]}"; do
    q=""; i=""
    for r in "${results[@]}"; do
        IFS='|' read -r l tool wall cpu rss rc <<<"$r"
        [ "$l" = "$label" ] || continue
        if [ "$tool" = qemu-img ]; then q="$wall $cpu $rss"; else i="$wall $cpu $rss"; fi
    done
    read -r qw qc qr <<<"$q"; read -r iw ic ir <<<"$i"
    awk -v l="$label" -v qw="$qw" -v qc="$qc" -v qr="$qr" -v iw="$iw" -v ic="$ic" -v ir="$ir" '
        function r(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "n/a" }
        BEGIN { printf "%-20s %12s %12s %12s\n", l, r(iw, qw), r(ic, qc), r(ir, qr) }'
done
echo "qcow2 output allocation: imagebuild $((ib_qcow2 / 2048)) MiB, qemu-img $((qi_qcow2 / 2048)) MiB"
if [ "$compressed" = 1 ]; then
    for c in zlib zstd; do
        echo "compressed ($c) qcow2 size: imagebuild $(( $(stat -c %s "$work/imagebuild-$c.qcow2") / 1048576 )) MiB, qemu-img $(( $(stat -c %s "$work/qemu-img-$c.qcow2") / 1048576 )) MiB"
    done
fi
[ $status -eq 0 ] && echo "outputs verified identical (qemu-img compare)"
exit $status
