# Shared by the benchmark scripts (sourced, not run): installing what a benchmark needs, the imagebuild under test,
# and the realistic disk every benchmark starts from.

need() { # need COMMAND DEBIAN-PACKAGE: installs the package when the command is missing
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "bench: installing $2 (for $1)" >&2
        apt-get update -qq && apt-get install -y -qq "$2" >/dev/null
    fi
}

need_time() { # GNU time, for wall time and maximum RSS
    [ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
}

imagebuild_under_test() { # imagebuild_under_test REPO WORK: sets the array ib to IMAGEBUILD_EXE, else a Release build
    if [ -n "${IMAGEBUILD_EXE:-}" ]; then
        case "$IMAGEBUILD_EXE" in
            *.dll) ib=(dotnet "$IMAGEBUILD_EXE") ;;
            *) ib=("$IMAGEBUILD_EXE") ;;
        esac
    else
        # published for this machine, as the tool package installs it: native code (NativeAOT) on linux-x64
        local rid
        rid=$(dotnet --info | awk '$1 == "RID:" { print $2; exit }')
        echo "bench: publishing imagebuild (Release, $rid)" >&2
        dotnet publish "$1/src/ImageBuild.Cli" -c Release -r "$rid" -o "$2/bin" -v quiet -nologo >&2
        ib=("$2/bin/imagebuild")
    fi
}

ext4_disk() { # ext4_disk WORK DATA_MB IMAGE_MB "SOURCES": WORK/disk.raw, an ext4 filesystem holding real files
    local work="$1" data_mb="$2" image_mb="$3" sources="$4"
    need mke2fs e2fsprogs
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
}

timed() { # timed LABEL SHELL-COMMAND -> prints "LABEL seconds maxrss-MiB" (the largest process of the command's tree)
    # The command runs in a fresh bash that sees the variables named in $timed_variables and the functions named in
    # $timed_functions (set by the script), and $work.
    local label="$1"; shift
    local defs; defs="$(declare -p work $timed_variables); $(declare -f $timed_functions)"
    /usr/bin/time -f "%e %M" -o "$work/time.txt" bash -c "$defs; $*" >/dev/null 2>"$work/err.txt" || { cat "$work/err.txt" >&2; exit 1; }
    read -r secs kb < "$work/time.txt"
    printf '%s %s %d\n' "$label" "$secs" $((kb / 1024))
}

median_table() { # median_table RESULTS FIRST-COLUMN: a markdown table of the median and largest RSS per "A:B" label
    echo "| $2 | tool | median s | max RSS MiB |"
    echo "|---|---|---|---|"
    # POSIX awk: the values arrive sorted by time.
    sort -k1,1 -k2,2n "$1" | awk '
        { k = $1; n[k]++; v[k, n[k]] = $2; if ($3 > m[k]) m[k] = $3 }
        END {
            for (k in n) {
                c = n[k]; med = (c % 2) ? v[k, (c + 1) / 2] : (v[k, c / 2] + v[k, c / 2 + 1]) / 2
                split(k, parts, ":")
                printf "| %s | %s | %.2f | %d |\n", parts[1], parts[2], med, m[k]
            }
        }' | sort
}
