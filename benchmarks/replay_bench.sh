#!/usr/bin/env bash
# End-to-end replay benchmark: `chainflow replay` of a history file through
# real Kafka, RocksDB and PostgreSQL, N runs per data set, each in a fresh
# isolated deployment (own topic prefix, own PostgreSQL database, own state
# dir). Prints per-run events/s and the median per data set.
#
#   benchmarks/replay_bench.sh [--build-dir DIR] [--only cyberkongz|generated|erc20-intents|contracts]
#                              [--transfers N] [--intents N] [--accounts N] [--runs N]
#                              [--against BINARY]
#
# --against BINARY: before each run, the same replay with BINARY (another
# build's chainflow, e.g. from a git worktree at the commit to compare with),
# so the two alternate; prints both medians and their ratio. On a shared
# machine whose speed drifts, only such pairs compare two builds.
#
# Data sets:
#   cyberkongz     ../shared/data/evm/cyberkongz/transfers.logs.ndjson (15,188 logs)
#   generated      gen_history --transfers N --tokens N/10, cached in var/bench/
#   erc20-intents  gen_history --standard erc20 --transfers N --accounts A (10.2 weeks
#                  of blocks), cached in var/bench/, plus gen_user_events --intents M
#                  over 10 epochs appended to each run's user events topic before the
#                  replay; the intents processor on, with daily accruals. Only
#                  reported when all 10 epochs settled, no intent is undecided and
#                  the dead-letter topic is empty; events/s = (N + M) / replay time.
#                  Not part of the default (it takes minutes a run): --only it.
#   contracts      gen_history --standard abi --transfers N: N logs of one contract
#                  configured by its ABI (Sold(address indexed, uint256 indexed,
#                  uint256, string)), through ingest decoding, the contract_events
#                  processor and its topic. Not part of the default: --only it.
# Needs `ops/infra start` (Kafka 127.0.0.1:9092, PostgreSQL 127.0.0.1:5433).
# At exit it drops its databases and state dirs and deletes its topics
# (ops/kafka-tool topics --delete; left behind, with a warning, if that fails).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="build"
only=""
against=""
transfers=1000000
intents=100000
accounts=1000
epochs=10
runs=3
pg_admin="${CHAINFLOW_BENCH_PG_URL:-postgresql://chainflow@127.0.0.1:5433/chainflow}"
brokers="${CHAINFLOW_BENCH_BROKERS:-127.0.0.1:9092}"

usage() { sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { echo "replay_bench: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir="${2:?--build-dir DIR}"; shift 2 ;;
    --only) only="${2:?--only cyberkongz|generated|erc20-intents|contracts}"; shift 2 ;;
    --transfers) transfers="${2:?--transfers N}"; shift 2 ;;
    --intents) intents="${2:?--intents N}"; shift 2 ;;
    --accounts) accounts="${2:?--accounts N}"; shift 2 ;;
    --runs) runs="${2:?--runs N}"; shift 2 ;;
    --against) against="${2:?--against BINARY}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
case "$only" in
  ""|cyberkongz|generated|erc20-intents|contracts) ;;
  *) die "--only takes cyberkongz, generated, erc20-intents or contracts" ;;
esac
for n in runs transfers intents accounts; do
  [[ "${!n}" =~ ^[1-9][0-9]*$ ]] || die "--$n takes a positive integer"
done
tokens=$(( transfers / 10 > 0 ? transfers / 10 : 1 ))

[[ "$build_dir" = /* ]] || build_dir="$repo/$build_dir"
chainflow="$build_dir/chainflow"
gen_history="$build_dir/benchmarks/gen_history"
gen_user_events="$build_dir/benchmarks/gen_user_events"
[[ -x "$chainflow" ]] || die "no $chainflow; build it (cmake --build $build_dir --target chainflow)"
[[ -z "$against" || -x "$against" ]] || die "--against $against: not an executable"

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
     ! "$repo/ops/kafka-tool" topics --delete --topic "bench_[a-z0-9]+_${tag}_[0-9]+\\..*" \
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
    contracts)
      local f="$bench_dir/sold_${transfers}.ndjson"
      if [[ ! -s "$f" || ! -s "$f.abi.json" ]]; then
        [[ -x "$gen_history" ]] || die "no $gen_history; build it (--target gen_history)"
        echo "generating $f ($transfers contract events)" >&2
        "$gen_history" --standard abi --transfers "$transfers" --accounts "$accounts" \
          --out "$f.tmp" --abi-out "$f.abi.json" >&2
        mv "$f.tmp" "$f"
      fi
      echo "$f" ;;
    erc20-intents)
      local f="$bench_dir/erc20_${transfers}_${accounts}.ndjson"
      if [[ ! -s "$f" ]]; then
        [[ -x "$gen_history" ]] || die "no $gen_history; build it (--target gen_history)"
        echo "generating $f ($transfers ERC-20 transfers over $accounts accounts)" >&2
        "$gen_history" --standard erc20 --transfers "$transfers" --accounts "$accounts" \
          --out "$f.tmp" >&2
        mv "$f.tmp" "$f"
      fi
      echo "$f" ;;
  esac
}

# The token gen_history --standard erc20 writes (accruals are configured for it).
erc20_token="0x00000000000000000000000000000000e20c0ffe"

# The keys of every record on a topic (every partition), read with kcat.
topic_keys() { kcat -b "$brokers" -C -t "$1" -e -q -f '%k\n'; }

# Checks an erc20-intents run once replay has exited and prints its counts
# (stderr); dies when an epoch is not settled, an intent is undecided or
# something was dead-lettered: a rate over an unfinished replay means nothing.
check_intents_run() {
  local name="$1" i="$2" id="$3" db_url="$4"
  local q="SELECT count(*) FILTER (WHERE status = 'settled'), count(*) FILTER (WHERE status = 'rejected'),"
  q+=" count(*) FILTER (WHERE status = 'expired'), count(*) FILTER (WHERE status IN ('submitted', 'approved')),"
  q+=" count(*) FROM chainflow.intents"
  local settled rejected expired undecided total
  IFS='|' read -r settled rejected expired undecided total < <(psql "$db_url" -Atqc "$q") ||
    die "$name run $i: cannot read the intents view"
  local epochs_settled accruals dead
  epochs_settled="$(topic_keys "$id.settlements" | grep -c '^epoch/' || true)"
  accruals="$(topic_keys "$id.accruals" | wc -l)"
  dead="$(topic_keys "$id.dlq" | wc -l)"
  echo "  $name run $i: intents $total (settled $settled, rejected $rejected, expired $expired," \
    "undecided $undecided), epochs settled $epochs_settled, accrual records $accruals," \
    "dead letters $dead" >&2
  [[ "$total" == "$intents" ]] || die "$name run $i: $total intents in the view, $intents submitted"
  [[ "$undecided" == 0 ]] || die "$name run $i: $undecided intents undecided when replay exited"
  [[ "$epochs_settled" == "$epochs" ]] ||
    die "$name run $i: $epochs_settled epochs settled when replay exited, want $epochs"
  [[ "$dead" == 0 ]] || die "$name run $i: $dead records dead-lettered"
}

# One replay in a fresh deployment; prints its events/s (integer).
# Runs in a subshell ($(...)): the caller registers the database and state
# dir for cleanup first, so a failed run is still cleaned up on exit.
run_once() {
  local name="$1" file="$2" i="$3" id="$4" bin="${5:-$chainflow}"
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
  local extra=0
  if [[ "$name" == contracts ]]; then
    cat >>"$cfg" <<EOF
[[contracts]]
chain = "mainnet"
name = "bench"
address = "0x000000000000000000000000000000005eed0ffe"
abi = "$file.abi.json"
EOF
  fi
  if [[ "$name" == erc20-intents ]]; then
    cat >>"$cfg" <<EOF
[intents]
chains = "mainnet"
accrual_tokens = "mainnet:$erc20_token"
accrual_rate_bps = 5
EOF
    "$gen_user_events" -c "$cfg" --history "$file" --chain mainnet --intents "$intents" \
      --epochs "$epochs" >&2 || die "$name run $i: gen_user_events failed"
    extra="$intents"
  fi
  local out
  # GNU time records the replay's peak resident memory (ru_maxrss).
  if ! out="$(/usr/bin/time -f '%M' -o "$bench_dir/${id}.rss" \
    "$bin" replay -c "$cfg" --chain mainnet --from-file "$file" 2>"$bench_dir/${id}.err")"; then
    cat "$bench_dir/${id}.err" >&2
    die "$name run $i: chainflow replay failed (stderr above)"
  fi
  rm -f "$bench_dir/${id}.err"
  local line
  line="$(grep -E '^replay [^:]+: .* events/s$' <<<"$out" | tail -n 1)" ||
    die "$name run $i: no summary line in: $out"
  local rss_mib
  rss_mib="$(awk '{ printf "%d", $1 / 1024 }' "$bench_dir/${id}.rss")"
  rm -f "$bench_dir/${id}.rss"
  echo "  $name run $i${5:+ ($bin)}: $line (peak RSS $rss_mib MiB)" >&2
  if [[ "$name" == erc20-intents ]]; then
    check_intents_run "$name" "$i" "$id" "${pg_admin%/*}/$db"
    # (transfers + intents) / the replay's own seconds ("N events (...), ..., 12.34 s, ...")
    local events seconds
    events="$(sed -E 's/^replay [^:]+: ([0-9]+) events.*/\1/' <<<"$line")"
    seconds="$(sed -E 's/.*, ([0-9.]+) s, [0-9]+ events\/s$/\1/' <<<"$line")"
    awk -v e="$events" -v x="$extra" -v s="$seconds" 'BEGIN { printf "%d\n", (e + x) / s }'
  else
    # "..., 12.34 s, 3600 events/s"
    sed -E 's/.* ([0-9]+) events\/s$/\1/' <<<"$line"
  fi
  # Free this run's database and state now: later runs get the disk back.
  psql "$pg_admin" -Atqc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$state" "$cfg"
}

median() { sort -n | awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2); print (NR % 2) ? v[m] : int((v[m] + v[m + 1]) / 2) }'; }

results=()
for name in cyberkongz generated erc20-intents contracts; do
  [[ ( -z "$only" && "$name" != erc20-intents && "$name" != contracts ) || "$only" == "$name" ]] ||
    continue
  file="$(data_file "$name")"
  echo "$name: $(wc -l <"$file") logs from $file, $runs runs" >&2
  rates=()
  base_rates=()
  for (( i = 1; i <= runs; i++ )); do
    if [[ -n "$against" ]]; then
      id="bench_${name//-/}base_${tag}_${i}"
      databases+=("cf_$id")
      state_dirs+=("$bench_dir/state_$id" "$bench_dir/$id.toml" "$bench_dir/$id.err")
      base_rates+=("$(run_once "$name" "$file" "$i" "$id" "$against")")
    fi
    id="bench_${name//-/}_${tag}_${i}"
    databases+=("cf_$id")
    state_dirs+=("$bench_dir/state_$id" "$bench_dir/$id.toml" "$bench_dir/$id.err")
    rates+=("$(run_once "$name" "$file" "$i" "$id")")
  done
  med="$(printf '%s\n' "${rates[@]}" | median)"
  echo "$name: runs ${rates[*]} events/s, median $med events/s"
  line="BENCH replay dataset=$name runs=$runs median_events_per_s=$med per_run=$(IFS=,; echo "${rates[*]}")"
  if [[ -n "$against" ]]; then
    base_med="$(printf '%s\n' "${base_rates[@]}" | median)"
    ratio="$(awk -v a="$med" -v b="$base_med" 'BEGIN { printf "%.3f", a / b }')"
    echo "$name: against $against: runs ${base_rates[*]} events/s, median $base_med events/s;" \
      "this build's median is $ratio times it"
    line+=" against_median_events_per_s=$base_med against_per_run=$(IFS=,; echo "${base_rates[*]}")"
    line+=" ratio=$ratio"
  fi
  results+=("$line")
done
printf '%s\n' "${results[@]}"
