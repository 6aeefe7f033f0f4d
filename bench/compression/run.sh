#!/usr/bin/env bash
# On-demand benchmark of the qcow2 cluster codecs (see README.md). Usage: bash bench/compression/run.sh [MiB] [cluster] [threads]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
command -v qemu-img >/dev/null || { apt-get update && apt-get install -y qemu-utils; }
dotnet build -c Release -v q --nologo >/dev/null
exec dotnet bin/Release/net10.0/CompressionBench.dll "$@"
