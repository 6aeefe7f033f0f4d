#!/usr/bin/env bash
# Times the deliverable steps (see bench/README.md, "Deliverables") against what a user without imagebuild runs on the
# same disk in the same run: the archive step against gzip, pigz, zstd -T0 and xz -T0; gce-tar against qemu-img
# convert + tar --format=oldgnu -Sczf; ova against qemu-img convert to streamOptimized VMDK + sha256sum + tar.
# Each imagebuild figure is a whole `imagebuild run` of a recipe whose input is the disk (an `image` step), so it also
# includes hashing the input and the output for the incremental skip.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data_mb="${BENCH_DATA_MB:-1024}"      # real file data copied into the filesystem
image_mb="${BENCH_IMAGE_MB:-2048}"    # size of the raw disk image holding it
sources="${BENCH_SOURCES:-/usr/lib /usr/share}"
work_root="${BENCH_WORK:-$repo/bench/work}"
runs="${BENCH_RUNS:-3}"

. "$repo/bench/lib.sh"
need qemu-img qemu-utils
need pigz pigz
need zstd zstd
need xz xz-utils
need_time

mkdir -p "$work_root"
work="$(mktemp -d "$work_root/deliverables.XXXXXX")"
trap 'rm -rf "$work"; rmdir "$work_root" 2>/dev/null || true' EXIT

imagebuild_under_test "$repo" "$work"
ext4_disk "$work" "$data_mb" "$image_mb" "$sources"
# Compressors read every byte of the file, holes included, as a user's `gzip disk.raw` does.
data_bytes=$(du -B1 "$work/disk.raw" | cut -f1)
echo "bench: disk.raw ${image_mb} MiB virtual, $((data_bytes >> 20)) MiB allocated; $(nproc) cores" >&2

recipe() { # recipe NAME STEP-YAML -> writes NAME.yaml whose input is disk.raw
    { echo "name: $1"; echo "steps:"; echo "  - id: disk"; echo "    kind: image"; echo "    file: disk.raw"; echo "    format: raw"; printf '%s\n' "$2"; } > "$work/$1.yaml"
}
recipe gzip   $'  - id: out\n    kind: archive\n    from: disk\n    type: gzip'
recipe zstd   $'  - id: out\n    kind: archive\n    from: disk\n    type: zstd'
recipe xz     $'  - id: out\n    kind: archive\n    from: disk\n    type: xz'
recipe gce    $'  - id: out\n    kind: gce-tar\n    from: disk'
recipe ova    $'  - id: out\n    kind: ova\n    from: disk\n    name: bench'

timed_variables="ib"
timed_functions="ib_run packer_ova gce_by_hand"

ib_run() { # ib_run NAME: a fresh output directory each time, so the step runs
    rm -rf "$work/out-$1"
    "${ib[@]}" run "$work/$1.yaml" --output-dir "$work/out-$1"
}

packer_ova() { # what a Packer user scripts: convert, descriptor, manifest, tar (descriptor content is not the point)
    rm -rf "$work/ova" && mkdir "$work/ova" && cd "$work/ova"
    qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$work/disk.raw" bench-disk1.vmdk
    printf '<?xml version="1.0"?><Envelope/>\n' > bench.ovf
    sha256sum bench.ovf bench-disk1.vmdk | awk '{ print "SHA256(" $2 ")= " $1 }' > bench.mf
    tar --format=ustar -cf "$work/packer.ova" bench.ovf bench.mf bench-disk1.vmdk
    cd "$work"
}

gce_by_hand() {
    rm -rf "$work/gce" && mkdir "$work/gce"
    qemu-img convert -f raw -O raw "$work/disk.raw" "$work/gce/disk.raw"
    tar --format=oldgnu -Sczf "$work/gce.tar.gz" -C "$work/gce" disk.raw
}

results="$work/results.txt"
for ((i = 1; i <= runs; i++)); do
    echo "bench: run $i of $runs" >&2
    timed "gzip:imagebuild" ib_run gzip >> "$results"
    timed "gzip:gzip-6" "gzip -6 -c '$work/disk.raw' > '$work/x.gz'" >> "$results"
    timed "gzip:pigz-6" "pigz -6 -c '$work/disk.raw' > '$work/x.gz'" >> "$results"
    timed "zstd:imagebuild" ib_run zstd >> "$results"
    timed "zstd:zstd-3-T0" "zstd -q -3 -T0 -c '$work/disk.raw' > '$work/x.zst'" >> "$results"
    timed "xz:imagebuild" ib_run xz >> "$results"
    timed "xz:xz-6-T0" "xz -6 -T0 -c '$work/disk.raw' > '$work/x.xz'" >> "$results"
    timed "gce-tar:imagebuild" ib_run gce >> "$results"
    timed "gce-tar:qemu-img+tar-Sz" gce_by_hand >> "$results"
    timed "ova:imagebuild" ib_run ova >> "$results"
    timed "ova:qemu-img+sha256sum+tar" packer_ova >> "$results"
done
ls -l "$work"/out-*/* "$work"/x.* "$work"/gce.tar.gz "$work"/packer.ova 2>/dev/null | awk '{ print "bench: size", $5, $NF }' >&2

echo
median_table "$results" operation
