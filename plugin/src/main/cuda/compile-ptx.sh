#!/usr/bin/env bash
# Compiles gat_kernels.cu to PTX for compute capability 7.5 (Turing) and newer, then lowers the PTX ISA
# version to 8.0 so that drivers from CUDA 12.0 (r525) on can load it; the kernels use nothing newer.
# Without nvcc it says so and writes nothing: the committed PTX is used.
# Usage: compile-ptx.sh <output.ptx>
set -euo pipefail
source_file="$(cd "$(dirname "$0")" && pwd)/gat_kernels.cu"
output="$1"
if ! command -v nvcc >/dev/null 2>&1; then
  echo "[ptx] nvcc not found: the committed PTX is used as it is"
  exit 0
fi
mkdir -p "$(dirname "$output")"
nvcc -ptx -arch=compute_75 -O3 -o "$output.tmp" "$source_file"
sed -e 's/^\.version [0-9][0-9]*\.[0-9][0-9]*$/.version 8.0/' "$output.tmp" > "$output"
rm -f "$output.tmp"
echo "[ptx] $output from $(nvcc --version | tail -1)"
