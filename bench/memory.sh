#!/usr/bin/env bash
# Peak RSS against virtual size (see bench/README.md, "Memory against image size"): the same data at the start of a
# 1 GiB and of a 1 TiB raw disk, made into every format the tool under test writes, and every operation that walks an
# image run on both sizes, by imagebuild and by qemu-img; one table of peak RSS (GNU time %M) per format, operation
# and size, rows flagged where the 1 TiB figure exceeds the 1 GiB one by more than 16 MiB or 25 %.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data_mb="${BENCH_DATA_MB:-256}"                    # real file data in the ext4 filesystem at the start of the disk
image_mb="${BENCH_IMAGE_MB:-$((data_mb + data_mb / 4 + 32))}"   # that filesystem's size
sources="${BENCH_SOURCES:-/usr/lib /usr/share}"
work_root="${BENCH_WORK:-$repo/bench/work}"
qemu_img="${QEMU_IMG:-qemu-img}"
sizes=(${BENCH_SIZES-1G 1T})                       # the virtual sizes compared: the first against the last
dd_mb="${BENCH_DD_MB:-32}"                         # dd copies this many MiB (bs=1M count=N)
bench_count="${BENCH_COUNT:-1000}"                 # bench -c N, 4 KiB requests (4 MiB in all)
# Each run is stopped after this many seconds and its peak so far recorded, marked *: qemu-img's safe rebase reads
# every cluster of both backing files, holes included, which at 1 TiB would take hours.
limit_s="${BENCH_TIMEOUT:-10}"

. "$repo/bench/lib.sh"
need qemu-img qemu-utils
need qemu-io qemu-utils
need_time

mkdir -p "$work_root"
work="$(mktemp -d "$work_root/memory.XXXXXX")"
trap 'rm -rf "$work"; rmdir "$work_root" 2>/dev/null || true' EXIT

imagebuild_under_test "$repo" "$work"
qi=("$qemu_img")

ext4_disk "$work" "$data_mb" "$image_mb" "$sources"
for s in "${sizes[@]}"; do
    cp --sparse=always "$work/disk.raw" "$work/src-$s.raw"
    truncate -s "$s" "$work/src-$s.raw"
done
rm -f "$work/disk.raw"

# The formats imagebuild writes, probed with create as bench/run.sh does.
formats=()
for f in ${BENCH_FORMATS-raw qcow2 qcow qed vdi vmdk vpc vhdx parallels}; do
    if "${ib[@]}" create -q -f "$f" "$work/probe.$f" 16M >/dev/null 2>&1; then formats+=("$f")
    else echo "bench: $f skipped: imagebuild does not create it" >&2; fi
    rm -f "$work/probe.$f"
done

results="$work/results.txt"   # format|operation|size|tool|rss-KiB|exit-code
: > "$results"
run() { # run FORMAT OPERATION SIZE TOOL CMD...: peak RSS of the command; a failure is recorded, not fatal
    local f="$1" op="$2" s="$3" tool="$4"; shift 4
    local rc=0
    /usr/bin/time -f '%M' -o "$work/time.txt" timeout "$limit_s" "$@" >"$work/out.txt" 2>"$work/err.txt" || rc=$?
    local kb; kb=$(tail -n 1 "$work/time.txt")
    [[ $kb =~ ^[0-9]+$ ]] || kb=0
    echo "$f|$op|$s|$tool|$kb|$rc" >> "$results"
    if [ $rc -eq 124 ]; then
        echo "bench: $tool $op ($f, $s) stopped after $limit_s s" >&2
    elif [ $rc -ne 0 ]; then
        echo "bench: $tool $op ($f, $s) exit $rc: $(head -c 300 "$work/err.txt" | tr '\n' ' ')" >&2
    fi
    return 0
}
both() { # both FORMAT OPERATION SIZE SHELL-FUNCTION: runs the function for each tool with the tool's command in "$@"
    local f="$1" op="$2" s="$3" fn="$4"
    "$fn" "$f" "$op" "$s" imagebuild "${ib[@]}"
    "$fn" "$f" "$op" "$s" qemu-img "${qi[@]}"
}
fresh() { # fresh COPY: a sparse copy of the format's image (for the operations that modify it)
    rm -f "$2"; cp --sparse=always "$1" "$2"
}

op_convert_in()  { local f=$1 op=$2 s=$3 t=$4; shift 4; rm -f "$work/o.$f"; run "$f" "$op" "$s" "$t" "$@" convert -f raw -O "$f" "$work/src-$s.raw" "$work/o.$f"; rm -f "$work/o.$f"; }
op_convert_out() { local f=$1 op=$2 s=$3 t=$4; shift 4; rm -f "$work/o.raw"; run "$f" "$op" "$s" "$t" "$@" convert -f "$f" -O raw "$work/img.$f" "$work/o.raw"; rm -f "$work/o.raw"; }
op_convert_c()   {
    local f=$1 op=$2 s=$3 t=$4; shift 4; rm -f "$work/o.$f"
    if [ "$f" = vmdk ]; then run "$f" "$op" "$s" "$t" "$@" convert -f raw -O vmdk -o subformat=streamOptimized "$work/src-$s.raw" "$work/o.$f"
    else run "$f" "$op" "$s" "$t" "$@" convert -c -f raw -O "$f" "$work/src-$s.raw" "$work/o.$f"; fi
    rm -f "$work/o.$f"
}
op_info()    { local f=$1 op=$2 s=$3 t=$4; shift 4; run "$f" "$op" "$s" "$t" "$@" info -f "$f" "$work/img.$f"; }
op_check()   { local f=$1 op=$2 s=$3 t=$4; shift 4; run "$f" "$op" "$s" "$t" "$@" check -f "$f" "$work/img.$f"; }
op_compare() { local f=$1 op=$2 s=$3 t=$4; shift 4; run "$f" "$op" "$s" "$t" "$@" compare -f raw -F "$f" "$work/src-$s.raw" "$work/img.$f"; }
op_map()     { local f=$1 op=$2 s=$3 t=$4; shift 4; run "$f" "$op" "$s" "$t" "$@" map --output=json -f "$f" "$work/img.$f"; }
op_measure() { local f=$1 op=$2 s=$3 t=$4; shift 4; run "$f" "$op" "$s" "$t" "$@" measure -f "$f" -O qcow2 "$work/img.$f"; }
op_resize()  { local f=$1 op=$2 s=$3 t=$4; shift 4; fresh "$work/img.$f" "$work/w.$f"; run "$f" "$op" "$s" "$t" "$@" resize -f "$f" "$work/w.$f" +1G; rm -f "$work/w.$f"; }
op_bench()   { local f=$1 op=$2 s=$3 t=$4; shift 4; run "$f" "$op" "$s" "$t" "$@" bench -q -c "$bench_count" -s 4k -f "$f" "$work/img.$f"; }
op_dd()      { local f=$1 op=$2 s=$3 t=$4; shift 4; rm -f "$work/o.raw"; run "$f" "$op" "$s" "$t" "$@" dd -f "$f" -O raw bs=1M count="$dd_mb" if="$work/img.$f" of="$work/o.raw"; rm -f "$work/o.raw"; }
op_snapshot_c() { local f=$1 op=$2 s=$3 t=$4; shift 4; fresh "$work/img.$f" "$work/w.$f"; run "$f" "$op" "$s" "$t" "$@" snapshot -c snap1 "$work/w.$f"; rm -f "$work/w.$f"; }
op_snapshot_l() {
    local f=$1 op=$2 s=$3 t=$4; shift 4; fresh "$work/img.$f" "$work/w.$f"
    "$qemu_img" snapshot -c snap1 "$work/w.$f"
    run "$f" "$op" "$s" "$t" "$@" snapshot -l "$work/w.$f"; rm -f "$work/w.$f"
}
op_amend()   { local f=$1 op=$2 s=$3 t=$4; shift 4; fresh "$work/img.$f" "$work/w.$f"; run "$f" "$op" "$s" "$t" "$@" amend -f "$f" -o compat=0.10 "$work/w.$f"; rm -f "$work/w.$f"; }
# commit and rebase: a qcow2 overlay (8 MiB written at the start, 8 MiB at the end) on a copy of the format's image
overlay() { # overlay FORMAT SIZE: w.FORMAT (base) and over.qcow2
    local f="$1" s="$2"
    fresh "$work/img.$f" "$work/w.$f"
    rm -f "$work/over.qcow2"
    "$qemu_img" create -q -f qcow2 -b "$work/w.$f" -F "$f" "$work/over.qcow2"
    local end; end=$(( $("$qemu_img" info --output=json "$work/over.qcow2" | sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p' | head -n 1) - 8 * 1048576 ))
    qemu-io -f qcow2 -c "write -P 0xa5 0 8M" -c "write -P 0x5a $end 8M" "$work/over.qcow2" >/dev/null
}
op_commit()  { local f=$1 op=$2 s=$3 t=$4; shift 4; overlay "$f" "$s"; run "$f" "$op" "$s" "$t" "$@" commit -f qcow2 "$work/over.qcow2"; rm -f "$work/w.$f" "$work/over.qcow2"; }
# safe rebase onto the raw source: every cluster the overlay does not hold is read from the old and the new backing
op_rebase()  { local f=$1 op=$2 s=$3 t=$4; shift 4; overlay "$f" "$s"; run "$f" "$op" "$s" "$t" "$@" rebase -f qcow2 -b "$work/src-$s.raw" -F raw "$work/over.qcow2"; rm -f "$work/w.$f" "$work/over.qcow2"; }

ops_for() { # ops_for FORMAT: the operations timed for the format
    local f="$1"
    local ops=(convert-in convert-out)
    case "$f" in qcow2|qcow|vmdk) ops+=(convert-c) ;; esac
    ops+=(info)
    case "$f" in qcow2|qed|vdi|vmdk|vhdx|parallels) ops+=(check) ;; esac   # the formats qemu-img 7.2 checks
    ops+=(compare map measure resize commit rebase)
    [ "$f" = qcow2 ] && ops+=(snapshot-c snapshot-l amend)
    ops+=(bench dd)
    echo "${ops[@]}"
}

for f in "${formats[@]}"; do
    for s in "${sizes[@]}"; do
        echo "bench: $f at $s" >&2
        rm -f "$work/img.$f"
        "${ib[@]}" convert -f raw -O "$f" "$work/src-$s.raw" "$work/img.$f"
        alloc=$(du -m "$work/img.$f" | cut -f1)
        echo "bench: $f at $s: $alloc MiB allocated" >&2
        for op in $(ops_for "$f"); do
            both "$f" "$op" "$s" "op_${op//-/_}"
        done
        rm -f "$work/img.$f"
    done
done
echo "bench: largest allocation of the work directory at the end: $(du -sm "$work" | cut -f1) MiB" >&2

first="${sizes[0]}"; last="${sizes[${#sizes[@]} - 1]}"
echo
echo "peak RSS (MiB) against virtual size: ${actual_data_mb} MiB of files in a ${image_mb} MiB ext4 filesystem at the start of a $first and a $last disk"
echo "(! : imagebuild's $last figure exceeds its $first one by more than 16 MiB or 25 %; - : the tool refused the operation;"
echo " * : stopped after $limit_s s, the peak until then)"
echo
echo "| format | operation | imagebuild $first | imagebuild $last | ratio | qemu-img $first | qemu-img $last | ratio | |"
echo "|---|---|---|---|---|---|---|---|---|"
awk -F'|' -v first="$first" -v last="$last" '
    { key = $1 "|" $2; if (!(key in seen)) { seen[key] = 1; order[++n] = key }
      rss[key, $3, $4] = $5; rc[key, $3, $4] = $6 }
    function ok(c) { return c == 0 || c == 124 }
    function mib(k, s, t) {
        if (rc[k, s, t] == 124) return sprintf("%.0f*", rss[k, s, t] / 1024)
        return rc[k, s, t] == 0 ? sprintf("%.0f", rss[k, s, t] / 1024) : "-"
    }
    function ratio(k, t) {
        if (!ok(rc[k, first, t]) || !ok(rc[k, last, t]) || rss[k, first, t] == 0) return "-"
        return sprintf("%.2f", rss[k, last, t] / rss[k, first, t])
    }
    END {
        for (i = 1; i <= n; i++) {
            k = order[i]; split(k, p, "|"); flag = ""
            a = rss[k, first, "imagebuild"]; b = rss[k, last, "imagebuild"]
            if (ok(rc[k, first, "imagebuild"]) && ok(rc[k, last, "imagebuild"]) && (b - a > 16384 || b > a * 1.25)) flag = "!"
            printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", p[1], p[2],
                mib(k, first, "imagebuild"), mib(k, last, "imagebuild"), ratio(k, "imagebuild"),
                mib(k, first, "qemu-img"), mib(k, last, "qemu-img"), ratio(k, "qemu-img"), flag
        }
    }' "$results"
