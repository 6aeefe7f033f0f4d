#!/usr/bin/env bash
# Times imagebuild against qemu-img on a realistic ext4 image (see bench/README.md).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data_mb="${BENCH_DATA_MB:-2048}"      # real file data copied into the filesystem
image_mb="${BENCH_IMAGE_MB:-3072}"    # size of the raw disk image holding it
sources="${BENCH_SOURCES:-/usr/lib /usr/share}"
work_root="${BENCH_WORK:-$repo/bench/work}"
qemu_img="${QEMU_IMG:-qemu-img}"

. "$repo/bench/lib.sh"
need qemu-img qemu-utils
need_time

mkdir -p "$work_root"
work="$(mktemp -d "$work_root/run.XXXXXX")"
cleanup() { rm -rf "$work"; rmdir "$work_root" 2>/dev/null || true; }
trap cleanup EXIT

# The tool under test: IMAGEBUILD_EXE (e.g. /usr/bin/qemu-img to check the script), else a Release build.
imagebuild_under_test "$repo" "$work"
qi=("$qemu_img")

ext4_disk "$work" "$data_mb" "$image_mb" "$sources"
# reference qcow2 made by qemu-img: the common input of the qcow2→raw and compare runs
"$qemu_img" convert -f raw -O qcow2 "$work/disk.raw" "$work/ref.qcow2"
compressed="${BENCH_COMPRESSED:-1}"   # 0 skips the compressed conversions (qemu-img's zlib run is slow)
if [ "$compressed" = 1 ]; then
    "$qemu_img" convert -c -f raw -O qcow2 "$work/disk.raw" "$work/ref-zlib.qcow2"
    "$qemu_img" convert -c -f raw -O qcow2 -o compression_type=zstd "$work/disk.raw" "$work/ref-zstd.qcow2"
fi
# Each operation runs this many times per tool, alternating which goes first; the median and the best are reported.
runs="${BENCH_RUNS:-5}"
compressed_runs="${BENCH_COMPRESSED_RUNS:-3}"   # the compressed conversions take longer and vary less
format_runs="${BENCH_FORMAT_RUNS:-3}"           # conversions into and out of the formats besides qcow2

# Formats besides qcow2 whose conversions are timed: qemu-img's writable image formats, each kept only when the
# tool under test creates it (a driver not written yet is refused with "... is not supported by this engine yet").
formats=()
for f in ${BENCH_FORMATS-qcow qed vdi vmdk vpc vhdx parallels}; do
    set +e
    probe_out=$("${ib[@]}" create -q -f "$f" "$work/probe.$f" 16M 2>&1)
    probe_rc=$?
    set -e
    rm -f "$work/probe.$f"
    if [ $probe_rc -eq 0 ]; then
        formats+=("$f")
    elif [[ $probe_out == *"is not supported by this engine yet"* ]]; then
        echo "bench: $f skipped: no driver in the tool under test yet" >&2
    else
        echo "bench: $f skipped: create -f $f fails: $probe_out" >&2
    fi
done
# qemu-img's conversion of the image into each format: the input of the format->raw runs
for f in "${formats[@]}"; do
    echo "bench: reference $f image (qemu-img)" >&2
    "$qemu_img" convert -f raw -O "$f" "$work/disk.raw" "$work/ref.$f"
done

# Read-only formats (qemu-img reads them, cannot create them): their images are made from the first
# BENCH_READONLY_MB MiB of the disk, cloop by create_compressed_fs (64 KiB blocks), bochs by bench/make-bochs.py
# (qemu-img cannot create it and bximage makes only empty ones); kept when the tool under test reads them.
readonly_mb="${BENCH_READONLY_MB:-512}"
readonly_formats=()
if [ -n "${BENCH_READONLY-bochs cloop}" ]; then
    dd if="$work/disk.raw" of="$work/ro.raw" bs=1M count="$readonly_mb" conv=sparse status=none
    for f in ${BENCH_READONLY-bochs cloop}; do
        case "$f" in
            cloop) need create_compressed_fs cloop-utils
                   create_compressed_fs -q -B 65536 "$work/ro.raw" "$work/ref.cloop" >/dev/null 2>&1 ;;
            bochs) python3 "$repo/bench/make-bochs.py" "$work/ro.raw" "$work/ref.bochs" ;;
            *) echo "bench: read-only format $f unknown" >&2; continue ;;
        esac
        if ! "$qemu_img" compare -q -f raw -F "$f" "$work/ro.raw" "$work/ref.$f"; then
            echo "bench: the $f image does not read as its source in qemu-img" >&2; exit 1
        fi
        if "${ib[@]}" info -f "$f" "$work/ref.$f" >/dev/null 2>&1; then
            readonly_formats+=("$f")
        else
            echo "bench: $f skipped: the tool under test does not read it" >&2
        fi
    done
fi

results=()
measure() { # measure LABEL TOOL-NAME OUTPUT CMD...  (OUTPUT is deleted first, so every run writes a new file)
    local label="$1" tool="$2" output="$3"; shift 3
    local tf="$work/time.txt"
    [ "$output" = - ] || rm -rf "$output"   # a file, or a recipe's output directory (its state would skip the run)
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

labels=("convert raw->qcow2" "convert qcow2->raw" "convert -C raw->raw" "compare")
[ "$compressed" = 1 ] && labels+=("convert -c zlib" "convert -c zstd" "expand zlib->raw" "expand zstd->raw")
# imagebuild deflates with the runtime's zlib-ng unless --qemu-compression asks for qemu-img's exact bytes (the system
# zlib): that row times the exact mode, kept when the tool under test has the option
qemu_compression=0
truncate -s 1M "$work/probe.raw"
if [ "$compressed" = 1 ] && "${ib[@]}" convert -c --qemu-compression -f raw -O qcow2 "$work/probe.raw" "$work/probe.qcow2" >/dev/null 2>&1; then
    qemu_compression=1; labels+=("convert -c zlib exact")
fi
rm -f "$work/probe.raw" "$work/probe.qcow2"
for f in "${formats[@]}"; do labels+=("convert raw->$f" "convert $f->raw"); done
for f in "${readonly_formats[@]}"; do labels+=("read $f->raw"); done
# VMDK's streamOptimized subformat is always compressed (qemu-img compresses it on one core)
has_vmdk=0; for f in "${formats[@]}"; do [ "$f" = vmdk ] && has_vmdk=1; done
[ "$compressed" = 1 ] && [ $has_vmdk = 1 ] && labels+=("convert raw->vmdk-stream")
# VHD: a fixed VHD as well (the formats loop times the default, dynamic), and the Azure path: qemu-img's recipe for
# Azure (convert to a fixed VHD with force_size; the disk is a whole number of MiB already, so no resize) against
# imagebuild's azure-vhd recipe step, which also hashes its input and output for the incremental skip.
has_vpc=0; for f in "${formats[@]}"; do [ "$f" = vpc ] && has_vpc=1; done
has_recipes=0
cat > "$work/azure.yaml" <<'YAML'
steps:
  - id: disk
    kind: image
    file: disk.raw
    format: raw
  - id: azure
    kind: azure-vhd
    from: disk
YAML
if [ $has_vpc = 1 ]; then
    labels+=("convert raw->vpc-fixed")
    if "${ib[@]}" validate "$work/azure.yaml" >/dev/null 2>&1; then
        has_recipes=1; labels+=("azure-vhd raw->vpc")
    else
        echo "bench: azure-vhd skipped: the tool under test runs no recipes (or has no azure-vhd step)" >&2
    fi
fi
run_op() { # run_op LABEL TOOL-NAME CMD-PREFIX...
    local label="$1" tool="$2"; shift 2
    case "$label" in
        "convert raw->qcow2") measure "$label" $tool "$work/$tool.qcow2" "$@" convert -f raw -O qcow2 "$work/disk.raw" "$work/$tool.qcow2" ;;
        "convert qcow2->raw") measure "$label" $tool "$work/$tool.raw" "$@" convert -f qcow2 -O raw "$work/ref.qcow2" "$work/$tool.raw" ;;
        "convert -C raw->raw") measure "$label" $tool "$work/$tool-copy.raw" "$@" convert -C -f raw -O raw "$work/disk.raw" "$work/$tool-copy.raw" ;;
        compare)
            measure "$label" $tool - "$@" compare -f raw -F qcow2 "$work/disk.raw" "$work/ref.qcow2"
            cp "$work/out.txt" "$work/compare-$tool.txt" ;;
        "convert -c zlib") measure "$label" $tool "$work/$tool-zlib.qcow2" "$@" convert -c -f raw -O qcow2 "$work/disk.raw" "$work/$tool-zlib.qcow2" ;;
        "convert -c zlib exact")
            local exact=(); [ $tool = imagebuild ] && exact=(--qemu-compression)
            measure "$label" $tool "$work/$tool-zlib-exact.qcow2" "$@" convert -c "${exact[@]}" -f raw -O qcow2 "$work/disk.raw" "$work/$tool-zlib-exact.qcow2" ;;
        "convert -c zstd") measure "$label" $tool "$work/$tool-zstd.qcow2" "$@" convert -c -f raw -O qcow2 -o compression_type=zstd "$work/disk.raw" "$work/$tool-zstd.qcow2" ;;
        "expand zlib->raw") measure "$label" $tool "$work/$tool-expanded.raw" "$@" convert -f qcow2 -O raw "$work/ref-zlib.qcow2" "$work/$tool-expanded.raw" ;;
        "expand zstd->raw") measure "$label" $tool "$work/$tool-expanded-zstd.raw" "$@" convert -f qcow2 -O raw "$work/ref-zstd.qcow2" "$work/$tool-expanded-zstd.raw" ;;
        "convert raw->vpc-fixed") measure "$label" $tool "$work/$tool-fixed.vhd" "$@" convert -f raw -O vpc -o subformat=fixed "$work/disk.raw" "$work/$tool-fixed.vhd" ;;
        "azure-vhd raw->vpc")
            if [ $tool = qemu-img ]; then
                measure "$label" $tool "$work/qemu-img-azure.vhd" "$@" convert -f raw -O vpc -o subformat=fixed,force_size=on "$work/disk.raw" "$work/qemu-img-azure.vhd"
            else
                measure "$label" $tool "$work/imagebuild-azure" "$@" run "$work/azure.yaml" --output-dir "$work/imagebuild-azure"
            fi ;;
        "convert raw->vmdk-stream") measure "$label" $tool "$work/$tool-stream.vmdk" "$@" convert -f raw -O vmdk -o subformat=streamOptimized "$work/disk.raw" "$work/$tool-stream.vmdk" ;;
        "read "*"->raw")
            local f="${label#read }"; f="${f%->raw}"
            measure "$label" $tool "$work/$tool-$f.raw" "$@" convert -f "$f" -O raw "$work/ref.$f" "$work/$tool-$f.raw" ;;
        "convert raw->"*)
            local f="${label#convert raw->}"
            measure "$label" $tool "$work/$tool.$f" "$@" convert -f raw -O "$f" "$work/disk.raw" "$work/$tool.$f" ;;
        "convert "*"->raw")
            local f="${label#convert }"; f="${f%->raw}"
            measure "$label" $tool "$work/$tool-$f.raw" "$@" convert -f "$f" -O raw "$work/ref.$f" "$work/$tool-$f.raw" ;;
    esac
}

status=0
# verify_format FMT: imagebuild's image of the format and its expansion of qemu-img's equal the source; then the
# format's images are deleted, so that disk use does not grow with the number of formats
verify_format() {
    local f="$1" out
    for out in "imagebuild.$f" "imagebuild-$f.raw"; do
        if ! "$qemu_img" compare -q -f raw "$work/disk.raw" "$work/$out"; then echo "bench: $out differs from the source" >&2; status=1; fi
    done
    sizes+=("$f|$(stat -c %b "$work/imagebuild.$f")|$(stat -c %b "$work/qemu-img.$f")")
    rm -f "$work/imagebuild.$f" "$work/qemu-img.$f" "$work/imagebuild-$f.raw" "$work/qemu-img-$f.raw" "$work/ref.$f"
}
sizes=()

for label in "${labels[@]}"; do
    n=$runs
    case "$label" in
        *-c*|expand*|*-stream) n=$compressed_runs ;;
        azure-vhd*) n=$format_runs ;;
        "convert raw->qcow2"|"convert qcow2->raw"|"convert -C raw->raw") ;;
        "convert raw->"*|"convert "*"->raw"|"read "*) n=$format_runs ;;
    esac
    echo "bench: $label ($n runs per tool)" >&2
    for ((i = 0; i < n; i++)); do
        # alternate which tool goes first, so neither always meets the cache state the other left
        if [ $((i % 2)) = 0 ]; then order=(qemu-img imagebuild); else order=(imagebuild qemu-img); fi
        for tool in "${order[@]}"; do
            if [ $tool = qemu-img ]; then run_op "$label" $tool "${qi[@]}"; else run_op "$label" $tool "${ib[@]}"; fi
        done
        # the copy limit of the uncompressed conversions: cp of the same data, in the same runs
        case "$label" in
            "convert raw->qcow2"|"convert qcow2->raw")
                measure "cp --sparse=always" cp "$work/cp.raw" cp --sparse=always "$work/disk.raw" "$work/cp.raw"; rm -f "$work/cp.raw" ;;
        esac
    done
    case "$label" in
        "convert qcow2->raw"|"convert -C raw->raw") ;;
        "convert "*"->raw") f="${label#convert }"; verify_format "${f%->raw}" ;;
        "read "*"->raw")
            f="${label#read }"; f="${f%->raw}"
            if ! "$qemu_img" compare -q -f raw -F raw "$work/ro.raw" "$work/imagebuild-$f.raw"; then
                echo "bench: imagebuild-$f.raw differs from the source" >&2; status=1
            fi
            rm -f "$work/imagebuild-$f.raw" "$work/qemu-img-$f.raw" ;;
    esac
done

echo "bench: verifying outputs with qemu-img compare" >&2
outputs=(imagebuild.qcow2 imagebuild.raw imagebuild-copy.raw)
[ "$compressed" = 1 ] && outputs+=(imagebuild-zlib.qcow2 imagebuild-zstd.qcow2 imagebuild-expanded.raw imagebuild-expanded-zstd.raw)
[ "$compressed" = 1 ] && [ $has_vmdk = 1 ] && outputs+=(imagebuild-stream.vmdk)
if [ $qemu_compression = 1 ] && ! cmp -s "$work/imagebuild-zlib-exact.qcow2" "$work/qemu-img-zlib-exact.qcow2"; then
    echo "bench: convert -c --qemu-compression did not write qemu-img's bytes" >&2; status=1
fi
for f in "${outputs[@]}"; do
    if ! "$qemu_img" compare -q "$work/disk.raw" "$work/$f"; then echo "bench: $f differs from the source" >&2; status=1; fi
done
if [ $has_vpc = 1 ]; then
    if ! "$qemu_img" compare -q -f raw -F vpc "$work/disk.raw" "$work/imagebuild-fixed.vhd"; then echo "bench: imagebuild-fixed.vhd differs from the source" >&2; status=1; fi
    rm -f "$work/imagebuild-fixed.vhd" "$work/qemu-img-fixed.vhd"
fi
if [ $has_recipes = 1 ]; then
    # the Azure VHD: the source's data, then only the footer (whose UUID, timestamp and checksum differ from qemu-img's)
    az="$work/imagebuild-azure/azure.vhd"; disk_bytes=$(stat -c %s "$work/disk.raw")
    if ! "$qemu_img" compare -q -f raw -F vpc "$work/disk.raw" "$az"; then echo "bench: azure.vhd differs from the source" >&2; status=1; fi
    if [ "$(stat -c %s "$az")" != $((disk_bytes + 512)) ] || ! cmp -s -n "$disk_bytes" "$az" "$work/qemu-img-azure.vhd"; then
        echo "bench: azure.vhd is not qemu-img's fixed VHD of the disk" >&2; status=1
    fi
    rm -rf "$work/imagebuild-azure" "$work/qemu-img-azure.vhd"
fi
if ! cmp -s "$work/compare-qemu-img.txt" "$work/compare-imagebuild.txt"; then
    echo "bench: compare printed something else than qemu-img" >&2; status=1
fi
ib_qcow2=$(stat -c %b "$work/imagebuild.qcow2"); qi_qcow2=$(stat -c %b "$work/qemu-img.qcow2")

echo
echo "image: ${image_mb} MiB ext4, ${actual_data_mb} MiB of files; ${runs} runs per tool (compressed: ${compressed_runs}), median shown; tool under test: ${ib[*]}"
# median LABEL TOOL: "wall cpu rss" of the run with the median wall time
median() {
    for r in "${results[@]}"; do
        IFS='|' read -r l tool wall cpu rss rc <<<"$r"
        if [ "$l" = "$1" ] && [ "$tool" = "$2" ]; then echo "$wall $cpu $rss"; fi
    done | sort -n -k1,1 | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'
}
best() { # best LABEL TOOL: the shortest wall time
    for r in "${results[@]}"; do
        IFS='|' read -r l tool wall _ <<<"$r"
        if [ "$l" = "$1" ] && [ "$tool" = "$2" ]; then echo "$wall"; fi
    done | sort -n | head -n 1
}
printf '%-24s %-11s %9s %9s %9s   %s\n' operation tool wall-s cpu-s rss-MiB "all walls"
for label in "${labels[@]}"; do
    for tool in qemu-img imagebuild; do
        read -r wall cpu rss <<<"$(median "$label" $tool)"
        walls=$(for r in "${results[@]}"; do
            IFS='|' read -r l t w _ <<<"$r"
            if [ "$l" = "$label" ] && [ "$t" = $tool ]; then printf '%s ' "$w"; fi
        done)
        printf '%-24s %-11s %9s %9s %9s   %s\n' "$label" $tool "$wall" "$cpu" "$rss" "$walls"
    done
done
echo
printf '%-24s %12s %12s %12s %12s\n' "speed-up (qemu/ib)" "median wall" "best wall" "median cpu" "rss ib/qemu"
for label in "${labels[@]}"; do
    read -r qw qc qr <<<"$(median "$label" qemu-img)"; read -r iw ic ir <<<"$(median "$label" imagebuild)"
    qb=$(best "$label" qemu-img); ib_best=$(best "$label" imagebuild)
    awk -v l="$label" -v qw="$qw" -v qc="$qc" -v qr="$qr" -v iw="$iw" -v ic="$ic" -v ir="$ir" -v qb="$qb" -v ibb="$ib_best" '
        function r(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "n/a" }
        BEGIN { printf "%-24s %12s %12s %12s %12s\n", l, r(qw, iw), r(qb, ibb), r(qc, ic), r(ir, qr) }'
done
read -r cpw cpc _ <<<"$(median "cp --sparse=always" cp)"
for label in "convert raw->qcow2" "convert qcow2->raw"; do
    read -r iw ic _ <<<"$(median "$label" imagebuild)"
    awk -v l="$label" -v cw="$cpw" -v cc="$cpc" -v iw="$iw" -v ic="$ic" \
        'BEGIN { printf "%-24s imagebuild %.2f s (cpu %.2f), cp --sparse=always %.2f s (cpu %.2f): %.2f x the copy\n", l, iw, ic, cw, cc, iw / cw }'
done
echo "qcow2 output allocation: imagebuild $((ib_qcow2 / 2048)) MiB, qemu-img $((qi_qcow2 / 2048)) MiB"
if [ "$compressed" = 1 ]; then
    for c in zlib zstd $( [ $qemu_compression = 1 ] && echo zlib-exact ); do
        echo "compressed ($c) qcow2 size: imagebuild $(( $(stat -c %s "$work/imagebuild-$c.qcow2") / 1048576 )) MiB, qemu-img $(( $(stat -c %s "$work/qemu-img-$c.qcow2") / 1048576 )) MiB"
    done
fi
if [ "$compressed" = 1 ] && [ $has_vmdk = 1 ]; then
    echo "streamOptimized vmdk size: imagebuild $(( $(stat -c %s "$work/imagebuild-stream.vmdk") / 1048576 )) MiB, qemu-img $(( $(stat -c %s "$work/qemu-img-stream.vmdk") / 1048576 )) MiB"
fi
for entry in "${sizes[@]}"; do
    IFS='|' read -r f ib_blocks qi_blocks <<<"$entry"
    echo "$f output allocation: imagebuild $((ib_blocks / 2048)) MiB, qemu-img $((qi_blocks / 2048)) MiB"
done

# ratio LABEL: qemu-img's median wall time divided by imagebuild's
ratio() {
    local qw iw
    read -r qw _ <<<"$(median "$1" qemu-img)"; read -r iw _ <<<"$(median "$1" imagebuild)"
    awk -v q="$qw" -v i="$iw" 'BEGIN { if (i > 0) printf "%.2f", q / i; else printf "n/a" }'
}
echo
echo "summary per format: qemu-img median wall / imagebuild median wall (above 1: imagebuild is faster)"
printf '%-10s %12s %12s\n' format "raw->format" "format->raw"
for f in qcow2 "${formats[@]}"; do
    printf '%-10s %12s %12s\n' "$f" "$(ratio "convert raw->$f")" "$(ratio "convert $f->raw")"
done
[ "$compressed" = 1 ] && printf '%-10s %12s %12s\n' "qcow2 -c" "$(ratio "convert -c zlib")" "$(ratio "expand zlib->raw")"
[ $qemu_compression = 1 ] && printf '%-10s %12s %12s\n' "qcow2 -c=" "$(ratio "convert -c zlib exact")" "-"
[ "$compressed" = 1 ] && printf '%-10s %12s %12s\n' "qcow2 zstd" "$(ratio "convert -c zstd")" "$(ratio "expand zstd->raw")"
[ "$compressed" = 1 ] && [ $has_vmdk = 1 ] && printf '%-10s %12s %12s\n' "vmdk-stream" "$(ratio "convert raw->vmdk-stream")" "-"
[ $has_vpc = 1 ] && printf '%-10s %12s %12s\n' "vpc-fixed" "$(ratio "convert raw->vpc-fixed")" "-"
[ $has_recipes = 1 ] && printf '%-10s %12s %12s\n' "azure-vhd" "$(ratio "azure-vhd raw->vpc")" "-"
for f in "${readonly_formats[@]}"; do
    printf '%-10s %12s %12s\n' "$f" "-" "$(ratio "read $f->raw")"
done
[ $status -eq 0 ] && echo "outputs verified identical (qemu-img compare)"
exit $status
