#!/usr/bin/env bash
# Gets TestcontainersIT a Docker engine and a Neo4j 5.26 image on this machine:
#   1. an engine: when none answers, installs Debian's docker.io (apt-get) if dockerd is missing and starts
#      dockerd, recording that it did so (stop.sh stops it again);
#   2. an image: the official neo4j:5.26 if it is here or can be pulled, else a local stand-in built from a
#      Debian root filesystem (debootstrap), Debian's Java 17 and the Neo4j jars of the neo4j-runtime module,
#      tagged neogat/neo4j-standin:<neo4j version>-<hash of its inputs> and neogat/neo4j-standin:5.26. A tag
#      that exists is not built again.
# Run it as yourself or as root: it uses sudo (asking for a password only on a terminal) to install or start
# the engine and to run debootstrap, and docker as the caller. Exits non-zero with the reason when it cannot
# provide both an engine and an image; TestcontainersIT then skips and says why.
# Usage: integration-tests/docker/prepare.sh, then mvn -B verify, then integration-tests/docker/stop.sh.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
state_dir="${NEOGAT_DOCKER_STATE:-${TMPDIR:-/tmp}/neogat-docker}"
official_image="neo4j:5.26"
standin_repository="neogat/neo4j-standin"
standin_alias="$standin_repository:5.26"
base_repository="neogat/debian-java17"
debian_mirror="${NEOGAT_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# Neo4j Browser, which the official image serves at /browser/ and where its HTTP root redirects a client that
# accepts HTML (Testcontainers' wait strategy does); the newest Browser on Maven Central.
browser_artifact="org.neo4j.client:neo4j-browser:5.24.0"

say() { echo "[docker-prepare] $*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && { [ -t 0 ] || sudo -n true 2>/dev/null; }; then
        sudo "$@"
    else
        say "needs root for: $* (not root, and no sudo without a password)"
        return 1
    fi
}

engine_answers() {
    command -v docker >/dev/null 2>&1 && docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

apt_install() {
    command -v apt-get >/dev/null 2>&1 || { say "no apt-get to install $*"; return 1; }
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -q >/dev/null
    as_root apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

start_engine() {
    if ! command -v dockerd >/dev/null 2>&1; then
        say "no Docker engine installed: installing Debian's docker.io"
        apt_install docker.io || return 1
        # The package may have started the engine itself (systemd).
        if engine_answers; then return 0; fi
    fi
    mkdir -p "$state_dir"
    say "starting dockerd (log: $state_dir/dockerd.log)"
    as_root sh -c "setsid dockerd --pidfile '$state_dir/dockerd.pid' >'$state_dir/dockerd.log' 2>&1 </dev/null &" \
        || return 1
    for _ in $(seq 1 60); do
        if engine_answers; then
            # Written only now, so that stop.sh never stops an engine that somebody else started.
            cp "$state_dir/dockerd.pid" "$state_dir/started-by-prepare"
            return 0
        fi
        sleep 0.5
    done
    say "dockerd did not answer within 30 s; the end of its log:"
    tail -n 20 "$state_dir/dockerd.log" 2>/dev/null || true
    return 1
}

# The Debian root filesystem with Java 17 as an image of its own, so that a change of jars or entrypoint does not
# redo it. Its tag is the hash of this function's text: change the recipe and the tag changes with it.
build_base_image() {
    local tag="$1" rootfs
    command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap || return 1
    rootfs="$(mktemp -d "${TMPDIR:-/var/tmp}/neogat-rootfs.XXXXXX")"
    as_root debootstrap --variant=minbase --include=openjdk-17-jre-headless bookworm "$rootfs" "$debian_mirror" \
        > "$state_dir/debootstrap.log" 2>&1 || {
        say "debootstrap failed; the end of its log:"; tail -n 20 "$state_dir/debootstrap.log"
        as_root rm -rf "$rootfs"; return 1; }
    # Package caches and documentation are not needed at run time.
    as_root sh -c "rm -rf '$rootfs'/var/cache/apt/archives/*.deb '$rootfs'/var/lib/apt/lists/* \
        '$rootfs'/usr/share/doc/* '$rootfs'/usr/share/man/* '$rootfs'/usr/share/locale/* '$rootfs'/var/log/*"
    as_root tar -C "$rootfs" -c . | docker import --message "debootstrap bookworm minbase + openjdk-17-jre-headless" \
        - "$tag" >/dev/null
    local imported=$?
    as_root rm -rf "$rootfs"
    return $imported
}

hash_of() { sha256sum | cut -c1-12; }

build_standin() {
    local lib="$repo/neo4j-runtime/target/neo4j-lib"
    if ! ls "$lib"/neo4j-5.*.jar >/dev/null 2>&1; then
        say "resolving the Neo4j server jars (mvn -pl neo4j-runtime package)"
        (cd "$repo" && mvn -B -q -pl neo4j-runtime package > "$state_dir/maven.log" 2>&1) || {
            say "cannot resolve them:"; tail -n 20 "$state_dir/maven.log"; return 1; }
    fi
    local version
    version="$(basename "$(ls "$lib"/neo4j-5.*.jar | head -n 1)" .jar)"
    version="${version#neo4j-}"

    local base_tag="$base_repository:bookworm-$(declare -f build_base_image | hash_of)"
    local inputs
    inputs="$( { echo "$base_tag $browser_artifact"; cat "$here/neo4j-standin/Dockerfile" "$here/neo4j-standin/docker-entrypoint.sh" \
        "$here/neo4j-standin/neo4j.conf"; (cd "$lib" && find . -name '*.jar' -printf '%f %s\n' | LC_ALL=C sort); } \
        | hash_of)"
    local tag="$standin_repository:$version-$inputs"

    if docker image inspect "$tag" >/dev/null 2>&1; then
        say "stand-in image $tag is cached"
    else
        local start=$SECONDS
        if docker image inspect "$base_tag" >/dev/null 2>&1; then
            say "base image $base_tag is cached"
        else
            say "building the base image $base_tag (debootstrap bookworm minbase + openjdk-17-jre-headless)"
            build_base_image "$base_tag" || return 1
            say "base image built in $((SECONDS - start)) s"
        fi
        local context
        context="$(mktemp -d "${TMPDIR:-/tmp}/neogat-standin.XXXXXX")"
        cp "$here/neo4j-standin/Dockerfile" "$here/neo4j-standin/docker-entrypoint.sh" \
            "$here/neo4j-standin/neo4j.conf" "$context/"
        mkdir "$context/lib"
        cp -l "$lib"/*.jar "$context/lib/" 2>/dev/null || cp "$lib"/*.jar "$context/lib/"
        (cd "$repo" && mvn -B -q -N org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
            -Dartifact="$browser_artifact" -DoutputDirectory="$context/lib" > "$state_dir/maven.log" 2>&1) || {
            say "cannot fetch $browser_artifact:"; tail -n 20 "$state_dir/maven.log"; rm -rf "$context"; return 1; }
        say "building $tag"
        docker build --build-arg "BASE_IMAGE=$base_tag" --label "dev.neogat.standin.inputs=$inputs" \
            --label "dev.neogat.standin.neo4j=$version" -t "$tag" "$context" > "$state_dir/build.log" 2>&1 || {
            say "docker build failed:"; tail -n 20 "$state_dir/build.log"; rm -rf "$context"; return 1; }
        rm -rf "$context"
        say "stand-in image built in $((SECONDS - start)) s"
        docker tag "$tag" "$standin_alias"
        # Earlier builds of either image are superseded by these.
        docker image ls --format '{{.Repository}}:{{.Tag}}' \
            | grep -E "^($standin_repository:$version-|$base_repository:bookworm-)" \
            | grep -v -x -e "$tag" -e "$base_tag" | xargs -r docker image rm >/dev/null 2>&1 || true
    fi
    docker tag "$tag" "$standin_alias"
    say "TestcontainersIT will use $standin_alias = $tag ($(docker image inspect --format '{{.Size}}' "$tag" \
        | awk '{printf "%.0f MB", $1 / 1e6}'))"
}

if engine_answers; then
    say "Docker engine $(docker version --format '{{.Server.Version}}') answers"
else
    start_engine || { say "no Docker engine could be started: TestcontainersIT will skip"; exit 1; }
    say "started Docker engine $(docker version --format '{{.Server.Version}}'); integration-tests/docker/stop.sh stops it"
fi

if docker image inspect "$official_image" >/dev/null 2>&1; then
    say "the official $official_image image is here; TestcontainersIT uses it"
    exit 0
fi
if timeout 120 docker pull -q "$official_image" >/dev/null 2>&1; then
    say "pulled the official $official_image image; TestcontainersIT uses it"
    exit 0
fi
say "$official_image cannot be pulled (no registry reachable): using a local stand-in"
mkdir -p "$state_dir"
build_standin || { say "the stand-in image could not be built: TestcontainersIT will skip"; exit 1; }
