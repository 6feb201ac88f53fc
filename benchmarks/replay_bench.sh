#!/usr/bin/env bash
# End-to-end replay benchmark: `chainflow replay` of a history file through
# real Kafka, RocksDB and PostgreSQL, N runs per data set, each in a fresh
# isolated deployment (own topic prefix, own PostgreSQL database, own state
# dir). Prints per-run events/s and the median per data set.
#
#   benchmarks/replay_bench.sh [--build-dir DIR] [--only cyberkongz|generated]
#                              [--transfers N] [--runs N]
#
# Data sets:
#   cyberkongz  ../shared/data/evm/cyberkongz/transfers.logs.ndjson (15,188 logs)
#   generated   gen_history --transfers N --tokens N/10, cached in var/bench/
# Needs `ops/infra start` (Kafka 127.0.0.1:9092, PostgreSQL 127.0.0.1:5433).
# At exit it drops its databases and state dirs and deletes its topics
# (ops/kafka-tool topics --delete; left behind, with a warning, if that fails).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="build"
only=""
transfers=1000000
runs=3
pg_admin="${CHAINFLOW_BENCH_PG_URL:-postgresql://chainflow@127.0.0.1:5433/chainflow}"
brokers="${CHAINFLOW_BENCH_BROKERS:-127.0.0.1:9092}"

usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { echo "replay_bench: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir="${2:?--build-dir DIR}"; shift 2 ;;
    --only) only="${2:?--only cyberkongz|generated}"; shift 2 ;;
    --transfers) transfers="${2:?--transfers N}"; shift 2 ;;
    --runs) runs="${2:?--runs N}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
case "$only" in ""|cyberkongz|generated) ;; *) die "--only takes cyberkongz or generated" ;; esac
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs takes a positive integer"
[[ "$transfers" =~ ^[1-9][0-9]*$ ]] || die "--transfers takes a positive integer"
tokens=$(( transfers / 10 > 0 ? transfers / 10 : 1 ))

[[ "$build_dir" = /* ]] || build_dir="$repo/$build_dir"
chainflow="$build_dir/chainflow"
gen_history="$build_dir/benchmarks/gen_history"
[[ -x "$chainflow" ]] || die "no $chainflow; build it (cmake --build $build_dir --target chainflow)"

# Infrastructure check: both must answer, or the runs would only time out.
command -v psql >/dev/null || die "psql not found (apt-get install postgresql-client)"
command -v kcat >/dev/null || die "kcat not found (apt-get install kcat)"
psql "$pg_admin" -Atqc 'SELECT 1' >/dev/null 2>&1 ||
  die "PostgreSQL not reachable at $pg_admin; run ops/infra start"
kcat -b "$brokers" -L -m 5 >/dev/null 2>&1 ||
  die "Kafka not reachable at $brokers; run ops/infra start"

bench_dir="$repo/var/bench"
mkdir -p "$bench_dir"
tag="$(date -u +%Y%m%d%H%M%S)_$$"
databases=()
state_dirs=()

cleanup() {
  local db d
  for db in "${databases[@]}"; do
    psql "$pg_admin" -Atqc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  for d in "${state_dirs[@]}"; do rm -rf "$d"; done
  # One JVM start for all of this invocation's topics (prefix bench_<set>_<tag>_<run>).
  if [[ ${#databases[@]} -gt 0 ]] &&
     ! "$repo/ops/kafka-tool" topics --delete --topic "bench_[a-z]+_${tag}_[0-9]+\\..*" \
       >/dev/null 2>&1; then
    echo "replay_bench: could not delete topics bench_*_${tag}_*; they stay (unique names)" >&2
  fi
}
trap cleanup EXIT

# The file of a data set (generating the synthetic one once).
data_file() {
  case "$1" in
    cyberkongz)
      local f="$repo/../shared/data/evm/cyberkongz/transfers.logs.ndjson"
      [[ -f "$f" ]] || die "no CyberKongz data at $f"
      realpath "$f" ;;
    generated)
      local f="$bench_dir/history_${transfers}_${tokens}.ndjson"
      if [[ ! -s "$f" ]]; then
        [[ -x "$gen_history" ]] || die "no $gen_history; build it (--target gen_history)"
        echo "generating $f ($transfers transfers over $tokens tokens)" >&2
        "$gen_history" --transfers "$transfers" --tokens "$tokens" --out "$f.tmp" >&2
        mv "$f.tmp" "$f"
      fi
      echo "$f" ;;
  esac
}

# One replay in a fresh deployment; prints its events/s (integer).
# Runs in a subshell ($(...)): the caller registers the database and state
# dir for cleanup first, so a failed run is still cleaned up on exit.
run_once() {
  local name="$1" file="$2" i="$3" id="$4"
  local db="cf_${id}" state="$bench_dir/state_${id}" cfg="$bench_dir/${id}.toml"
  psql "$pg_admin" -Atqc "CREATE DATABASE $db" >/dev/null || die "cannot create database $db"
  cat >"$cfg" <<EOF
[kafka]
brokers = "$brokers"
topic_prefix = "$id"
compression = "${CF_BENCH_COMPRESSION:-lz4}"
[postgres]
url = "${pg_admin%/*}/$db"
[state]
dir = "$state"
[api]
listen = "127.0.0.1:0"
[[chains]]
name = "mainnet"
kind = "evm"
chain_id = 1
EOF
  local out
  if ! out="$("$chainflow" replay -c "$cfg" --chain mainnet --from-file "$file" 2>"$bench_dir/${id}.err")"; then
    cat "$bench_dir/${id}.err" >&2
    die "$name run $i: chainflow replay failed (stderr above)"
  fi
  rm -f "$bench_dir/${id}.err"
  local line
  line="$(grep -E '^replay [^:]+: .* events/s$' <<<"$out" | tail -n 1)" ||
    die "$name run $i: no summary line in: $out"
  echo "  $name run $i: $line" >&2
  # "..., 12.34 s, 3600 events/s"
  sed -E 's/.* ([0-9]+) events\/s$/\1/' <<<"$line"
  # Free this run's database and state now: later runs get the disk back.
  psql "$pg_admin" -Atqc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$state" "$cfg"
}

median() { sort -n | awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2); print (NR % 2) ? v[m] : int((v[m] + v[m + 1]) / 2) }'; }

results=()
for name in cyberkongz generated; do
  [[ -z "$only" || "$only" == "$name" ]] || continue
  file="$(data_file "$name")"
  echo "$name: $(wc -l <"$file") logs from $file, $runs runs" >&2
  rates=()
  for (( i = 1; i <= runs; i++ )); do
    id="bench_${name}_${tag}_${i}"
    databases+=("cf_$id")
    state_dirs+=("$bench_dir/state_$id" "$bench_dir/$id.toml" "$bench_dir/$id.err")
    rates+=("$(run_once "$name" "$file" "$i" "$id")")
  done
  med="$(printf '%s\n' "${rates[@]}" | median)"
  echo "$name: runs ${rates[*]} events/s, median $med events/s"
  results+=("BENCH replay dataset=$name runs=$runs median_events_per_s=$med per_run=$(IFS=,; echo "${rates[*]}")")
done
printf '%s\n' "${results[@]}"
