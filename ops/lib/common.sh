# shellcheck shell=bash disable=SC2034
# Shared helpers for the ops/ scripts. Source it; it defines no side effects beyond variables.
#
# ROOT      the repository root (absolute)
# VAR_DIR   runtime data, logs and pid files; CHAINFLOW_VAR_DIR overrides (default ROOT/var)
# TOOLS_DIR tools that ops/setup fetches from package registries (Kafka jars, npm packages)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VAR_DIR="${CHAINFLOW_VAR_DIR:-$ROOT/var}"
case "$VAR_DIR" in /*) ;; *) VAR_DIR="$ROOT/$VAR_DIR" ;; esac
TOOLS_DIR="$ROOT/ops/.tools"
KAFKA_LIBS="$TOOLS_DIR/kafka/libs"
NODE_PREFIX="$TOOLS_DIR/node"
ANVIL_BIN="$NODE_PREFIX/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
PG_BIN="/usr/lib/postgresql/15/bin"

# say MSG...: one short progress line on stderr, prefixed with the calling script's name.
say() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
# die MSG...: print an error and exit 1.
die() { printf '%s: error: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }
# print_header: prints the calling script's leading comment block (its usage).
print_header() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
