#!/usr/bin/env bash
# Times the remote step cache (see bench/README.md, "Step cache on a registry"): a recipe that converts a real ext4
# disk image is built by agent A, which pushes its steps to a local docker-registry; agent B, with an empty output
# directory, pulls them. B's run is set against curl downloading the same blobs from the same registry.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data_mb="${BENCH_DATA_MB:-1024}"      # real file data copied into the filesystem
image_mb="${BENCH_IMAGE_MB:-2048}"    # size of the raw disk image holding it
sources="${BENCH_SOURCES:-/usr/lib /usr/share}"
work_root="${BENCH_WORK:-$repo/bench/work}"
runs="${BENCH_RUNS:-3}"

. "$repo/bench/lib.sh"
need docker-registry docker-registry
need curl curl
need zstd zstd
need_time

mkdir -p "$work_root"
work="$(mktemp -d "$work_root/oci.XXXXXX")"
registry_pid=""
cleanup() { # never stops early: the registry's exit status (killed) must not keep the files from being removed
    set +e
    if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null; wait "$registry_pid" 2>/dev/null; fi
    rm -rf "$work"; rmdir "$work_root" 2>/dev/null
    return 0
}
trap cleanup EXIT

imagebuild_under_test "$repo" "$work"
ext4_disk "$work" "$data_mb" "$image_mb" "$sources"

cat > "$work/cache.yaml" <<'YAML'
name: cache-bench
steps:
  - id: disk
    kind: image
    file: disk.raw
    format: raw
  - id: qcow2
    kind: convert
    from: disk
    format: qcow2
  - id: copy
    kind: convert
    from: disk
    format: raw
YAML

# A registry of our own on a free loopback port, plain HTTP, storage in the work folder.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/registry"
cat > "$work/registry.yml" <<YAML
version: 0.1
log: { level: error, accesslog: { disabled: true } }
storage: { filesystem: { rootdirectory: $work/registry }, delete: { enabled: true } }
http: { addr: 127.0.0.1:$port }
YAML
docker-registry serve "$work/registry.yml" > "$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
ref="oci://127.0.0.1:$port/bench/cache"

timed() { # timed LABEL CMD... -> appends "LABEL wall user+sys maxrss-MiB"
    local label="$1"; shift
    sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
    /usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" "$@" > "$work/out.txt" 2>&1 || { cat "$work/out.txt" >&2; exit 1; }
    read -r wall user sys rss < "$work/time.txt"
    printf '%-34s %8.2f s  cpu %6.2f s  rss %5d MiB\n' "$label" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}')" $((rss / 1024)) | tee -a "$work/results.txt"
}

echo "bench: disk $(du -h --apparent-size "$work/disk.raw" | cut -f1) virtual, $(du -h "$work/disk.raw" | cut -f1) allocated" >&2
timed "A: build, no cache" "${ib[@]}" run "$work/cache.yaml" --output-dir "$work/local"
timed "A: build + push (--cache-to)" "${ib[@]}" run "$work/cache.yaml" --output-dir "$work/agent-a" --cache-to "$ref" --plain-http
grep -c pushed "$work/out.txt" >/dev/null || true
for i in $(seq "$runs"); do
    rm -rf "$work/agent-b"
    timed "B: pull (--cache-from) #$i" "${ib[@]}" run "$work/cache.yaml" --output-dir "$work/agent-b" --cache-from "$ref" --plain-http
done
grep -E "pulled" "$work/out.txt" >&2 || { echo "bench: agent B pulled nothing" >&2; exit 1; }
cmp "$work/agent-a/qcow2.qcow2" "$work/agent-b/qcow2.qcow2" 2>/dev/null || ls "$work/agent-a" "$work/agent-b" >&2

# The same blobs with curl: every layer of every step manifest, written to files as B writes its images.
python3 - "$port" > "$work/blobs.txt" <<'PY'
import json, sys, urllib.request
port = sys.argv[1]
base = f"http://127.0.0.1:{port}/v2/bench/cache"
tags = json.load(urllib.request.urlopen(f"{base}/tags/list"))["tags"] or []
for tag in tags:
    req = urllib.request.Request(f"{base}/manifests/{tag}", headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    m = json.load(urllib.request.urlopen(req))
    for layer in m.get("layers", []):
        print(layer["digest"], layer["size"])
PY
total=$(awk '{ s += $2 } END { print s + 0 }' "$work/blobs.txt")
echo "bench: $(wc -l < "$work/blobs.txt") layer blob(s), $((total / 1048576)) MiB compressed" >&2
curl_all() {
    mkdir -p "$work/curl"; rm -f "$work/curl"/*
    while read -r digest _; do
        curl -sf -o "$work/curl/${digest#sha256:}" "http://127.0.0.1:$port/v2/bench/cache/blobs/$digest"
    done < "$work/blobs.txt"
}
curl_untar() { # what a user without imagebuild would run: each blob through zstd and GNU tar, sparse
    rm -rf "$work/untar"; mkdir -p "$work/untar"
    while read -r digest _; do
        curl -sf "http://127.0.0.1:$port/v2/bench/cache/blobs/$digest" | tar --zstd -xSf - -C "$work/untar"
    done < "$work/blobs.txt"
}
export -f curl_all curl_untar; export work port
for i in $(seq "$runs"); do timed "curl of the same blobs #$i" bash -c curl_all; done
for i in $(seq "$runs"); do timed "curl | tar --zstd -xS #$i" bash -c curl_untar; done
echo
cat "$work/results.txt"
