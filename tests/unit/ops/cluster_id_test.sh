#!/usr/bin/env bash
# ops/infra's KRaft cluster id: 22 characters of URL-safe base64 (16 bytes)
# that never start with '-' (kafka-storage would take it for an option).
# Draws 1,000 ids: with the old generator about 16 of them started with '-'.
set -euo pipefail
infra="$1"
# shellcheck disable=SC1090  # the function alone, not the script's main
source <(sed -n '/^new_cluster_id() {/,/^}/p' "$infra")
declare -F new_cluster_id >/dev/null || { echo "new_cluster_id not found in $infra"; exit 1; }
bad=0
for _ in $(seq 1000); do
  id="$(new_cluster_id)"
  if [[ ! "$id" =~ ^[A-Za-z0-9_][A-Za-z0-9_-]{21}$ ]]; then
    echo "bad cluster id: '$id'"
    bad=$((bad + 1))
  fi
done
bytes="$(new_cluster_id | tr -- '-_' '+/' | sed 's/$/==/' | base64 -d | wc -c)"
[[ "$bytes" == 16 ]] || { echo "a cluster id decodes to $bytes bytes, not 16"; bad=$((bad + 1)); }
echo "1000 ids drawn, $bad bad"
((bad == 0))
