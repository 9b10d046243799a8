#!/usr/bin/env bash
# Runs on the GPU machine, from the repository root, with gpu-run/ carried (see prepare.sh): the GPU tests
# (parity with the CPU, golden PyG numbers, no leak over 100 trainings, device selection), then the
# benchmark side by side with PyG on the same GPU. Every step runs even if one before it failed; the
# output goes to stdout and, where the device tool gives one, to $OUT.
set -uo pipefail
root="$(cd "$(dirname "$0")/../../../.." && pwd)"
run="$root/gpu-run"
java="$run/jre/bin/java"
classpath="$(ls "$run"/lib/*.jar | grep -v junit-platform-console-standalone | tr '\n' ':')"
out="${OUT:-$run/out}"
mkdir -p "$out"
cd "$root/plugin"
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  nvcc --version | tail -1
  echo "== GPU tests"
  "$java" -Dneogat.shared.dir="$run/shared" -jar "$run"/lib/junit-platform-console-standalone-*.jar execute \
    --class-path "$classpath" --select-package dev.neogat.gpu --exclude-classname '.*Emulated.*' \
    --details=tree --disable-banner
  echo "== GPU benchmark"
  "$java" -Xmx8g -Dneogat.shared.dir="$run/shared" -cp "$classpath" dev.neogat.gpu.GpuBenchmark \
    cora cora-seeds 10 arxiv arxiv-wide
  echo "== PyG on the same GPU"
  python3 src/test/python/pyg_benchmark.py --shared "$run/shared" cora arxiv arxiv-wide
} 2>&1 | tee "$out/gpu-run.log"
