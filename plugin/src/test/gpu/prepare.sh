#!/usr/bin/env bash
# Prepares gpu-run/ (git-ignored, at the repository root) for the GPU machine, which has the NVIDIA driver,
# nvcc, Python with PyTorch and PyG, but no Java: a jlink JRE, the engine and its test jar, their
# dependencies (JCuda's natives cut down to the driver binding), the JUnit console, and Cora and the golden
# numbers from ../shared. About 45 MB, under the device tool's 64 MB carry limit.
# Then, with the device tool: run(command="bash plugin/src/test/gpu/run.sh", carry=["gpu-run"]).
set -euo pipefail
root="$(cd "$(dirname "$0")/../../../.." && pwd)"
out="$root/gpu-run"
cd "$root"
mvn -q -B -DskipTests install -pl plugin -am
rm -rf "$out"
mkdir -p "$out/lib" "$out/shared/datasets"
jlink --add-modules java.base,jdk.unsupported,java.logging,java.management,java.xml,jdk.zipfs \
  --strip-debug --no-man-pages --no-header-files --compress=2 --output "$out/jre"
cp plugin/target/neogat-engine-*-SNAPSHOT.jar plugin/target/neogat-engine-*-tests.jar "$out/lib/"
mvn -q -B dependency:copy-dependencies -pl plugin -DincludeScope=test -DoutputDirectory="$out/lib"
mvn -q -B dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:1.10.2 \
  -DoutputDirectory="$out/lib"
# Only the engine's own copy of the JUnit console runs the tests; the separate JUnit jars would clash.
rm -f "$out"/lib/junit-jupiter-*.jar "$out"/lib/junit-platform-commons-*.jar "$out"/lib/junit-platform-engine-*.jar \
  "$out"/lib/opentest4j-*.jar "$out"/lib/apiguardian-*.jar
natives="$(ls "$out"/lib/jcuda-natives-*-linux-x86_64.jar)"
zip -q -d "$natives" 'lib/libJNvPTXCompiler-*' 'lib/libJCudaRuntime-*' 'lib/libJNvrtc-*'
shared="$root/../shared"
if [ -d "$shared/golden" ]; then
  cp -r "$shared/golden" "$out/shared/"
  cp -r "$shared/datasets/cora" "$out/shared/datasets/"
fi
du -sh "$out"
