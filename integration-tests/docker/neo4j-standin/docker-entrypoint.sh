#!/bin/bash
# Entrypoint of the neo4j:5.26 stand-in, doing what Testcontainers' Neo4jContainer relies on from the official
# image's entrypoint:
#   NEO4J_AUTH=none | neo4j/<password>   authentication off, or on with that initial password;
#   NEO4J_<setting>=<value>              a neo4j.conf entry, named as the official image does: '_' stands for '.'
#                                        and '__' for '_' (NEO4J_server_memory_heap_max__size -> server.memory.heap.max_size);
#   /plugins or /var/lib/neo4j/plugins   plugin jars (Neo4jContainer.withPlugins copies into the latter);
#   Bolt on 7687 and HTTP on 7474, the user log on stdout ("Bolt enabled on 0.0.0.0:7687.", "Started.").
# The command print-config prints the neo4j.conf that neo4j would start with (the set-initial-password step
# left out), so that this translation can be checked without starting a server. Any other command is run as
# given, as the official image does.
set -euo pipefail

command="${1:-neo4j}"
if [ "$command" != "neo4j" ] && [ "$command" != "print-config" ]; then
    exec "$@"
fi

conf="${NEO4J_HOME}/conf/neo4j.conf"

fail() {
    echo "neo4j stand-in: $*" >&2
    exit 1
}

# Sets one neo4j.conf entry, replacing an earlier value of the same key.
set_setting() {
    local key="$1" value="$2"
    awk -v key="$key" 'index($0, key "=") != 1' "$conf" > "$conf.new"
    printf '%s=%s\n' "$key" "$value" >> "$conf.new"
    mv "$conf.new" "$conf"
}

# The official image downloads these at start; this image has no network to do so.
for download in NEO4J_PLUGINS NEO4JLABS_PLUGINS; do
    if [ -n "${!download:-}" ]; then
        fail "$download=${!download} asks for plugins to be downloaded, which this stand-in cannot do; copy the jars into /var/lib/neo4j/plugins (Neo4jContainer.withPlugins(MountableFile)) instead"
    fi
done

# Variables of the official image that are not settings.
not_settings=" NEO4J_AUTH NEO4J_HOME NEO4J_CONF NEO4J_EDITION NEO4J_ACCEPT_LICENSE_AGREEMENT NEO4J_DEBUG NEO4J_PLUGINS "
while IFS= read -r name; do
    case "$not_settings" in *" $name "*) continue ;; esac
    key="${name#NEO4J_}"
    key="${key//_/.}"
    key="${key//../_}"
    set_setting "$key" "${!name}"
done < <(compgen -e | grep '^NEO4J_' || true)

if [ -d /plugins ]; then
    for jar in /plugins/*.jar; do
        [ -e "$jar" ] && ln -sf "$jar" "${NEO4J_HOME}/plugins/"
    done
fi

auth="${NEO4J_AUTH:-neo4j/neo4j}"
if [ "$auth" = "none" ]; then
    set_setting dbms.security.auth_enabled false
else
    user="${auth%%/*}"
    password="${auth#*/}"
    if [ "$user" = "$auth" ] || [ "$user" != "neo4j" ]; then
        fail "NEO4J_AUTH must be 'none' or 'neo4j/<password>', got '$auth'"
    fi
    set_setting dbms.security.auth_enabled true
    if [ "$command" = "neo4j" ] && [ ! -d /data/databases/system ]; then
        # neo4j-admin's command itself, in one short-lived JVM rather than the launcher's two.
        java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "${NEO4J_HOME}/lib/*" org.neo4j.cli.AdminTool \
            dbms set-initial-password "$password" || fail "neo4j-admin rejected the password in NEO4J_AUTH"
    fi
fi

if [ "$command" = "print-config" ]; then
    cat "$conf"
    exit 0
fi

# Neo4j's own launcher, as bin/neo4j console runs it: it reads the heap and JVM settings from neo4j.conf and
# starts the server in the foreground with the user log on stdout.
exec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "${NEO4J_HOME}/lib/*" org.neo4j.server.startup.Neo4jCommand console
