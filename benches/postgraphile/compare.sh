#!/usr/bin/env bash
# Side-by-side throughput and p99 of the team's server and PostGraphile 5 on the same
# PostgreSQL database, for the two page shapes of the performance issue (see README.md).
#
#   OURS=http://127.0.0.1:8080/graphql PG=http://127.0.0.1:5678/graphql ./compare.sh
#
# Settings (environment):
#   OURS      the team's GraphQL endpoint            (default http://127.0.0.1:8080/graphql)
#   PG        PostGraphile's GraphQL endpoint        (default http://127.0.0.1:5678/graphql)
#   DUR       length of one wrk run                  (default 10s)
#   ROUNDS    interleaved rounds per server          (default 3)
#   WARMUP    untimed wrk run per server and shape   (default 2s; 0 skips it)
#   PAGES     pages walked from the start per shape; their cursors are what wrk cycles through
#             (default 50)
#   THREADS, CONNS   wrk -t and -c                   (default 2 and 16)
#   SHAPES    which shapes                           (default "page100 withheld50")
#   DATABASE_URL     when set, the walked ids are also checked against SQL
#
# Before anything is timed, both servers' walked pages are compared row by row (ids, order and
# every field both schemas carry); the script stops if they differ.
set -euo pipefail

OURS=${OURS:-http://127.0.0.1:8080/graphql}
PG=${PG:-http://127.0.0.1:5678/graphql}
DUR=${DUR:-10s}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-2s}
PAGES=${PAGES:-50}
THREADS=${THREADS:-2}
CONNS=${CONNS:-16}
SHAPES=${SHAPES:-page100 withheld50}

here=$(cd "$(dirname "$0")" && pwd)
harness="$here/harness.mjs"

for tool in wrk node curl; do
  command -v "$tool" >/dev/null || { echo "compare.sh: $tool is not installed" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/compare-pgl.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Both endpoints must answer a trivial query before anything else.
for url in "$OURS" "$PG"; do
  if ! curl -fsS -m 10 -H 'content-type: application/json' \
      -d '{"query":"{ __typename }"}' "$url" >/dev/null; then
    echo "compare.sh: no GraphQL answer at $url" >&2
    exit 1
  fi
done

echo "ours: $OURS"
echo "PostGraphile: $PG"
echo "wrk -t$THREADS -c$CONNS -d$DUR, $ROUNDS interleaved rounds per shape, $PAGES pages of cursors"

# One wrk run; prints "<side> rps=… p50_ms=… p99_ms=… requests=… non2xx=… socket_errors=…".
run() {
  local side=$1 url=$2 lua=$3 dur=$4 out
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"$dur" --timeout 10s -s "$lua" "$url") || {
    echo "compare.sh: wrk failed against $url" >&2
    exit 1
  }
  local line="" l
  while IFS= read -r l; do
    case $l in RESULT\ *) line=$l ;; esac
  done <<<"$out"
  if [ -z "$line" ]; then
    printf '%s\n' "$out" >&2
    echo "compare.sh: no RESULT line from wrk against $url" >&2
    exit 1
  fi
  echo "$side ${line#RESULT }"
}

for shape in $SHAPES; do
  echo
  echo "== $shape: walking $PAGES pages of each server"
  node "$harness" walk "$OURS" "$here/queries/ours-$shape.graphql" "$PAGES" "$work/ours-$shape.json"
  node "$harness" walk "$PG" "$here/queries/$shape.graphql" "$PAGES" "$work/pg-$shape.json"
  node "$harness" check "$shape" "$work/ours-$shape.json" "$work/pg-$shape.json"
  node "$harness" lua "$work/ours-$shape.json" "$work/ours-$shape.lua"
  node "$harness" lua "$work/pg-$shape.json" "$work/pg-$shape.lua"

  if [ "$WARMUP" != "0" ]; then
    run ours "$OURS" "$work/ours-$shape.lua" "$WARMUP" >/dev/null
    run pg "$PG" "$work/pg-$shape.lua" "$WARMUP" >/dev/null
  fi

  results="$work/results-$shape.txt"
  : >"$results"
  for ((round = 1; round <= ROUNDS; round++)); do
    for side in ours pg; do
      if [ "$side" = ours ]; then url=$OURS; else url=$PG; fi
      line=$(run "$side" "$url" "$work/$side-$shape.lua" "$DUR")
      echo "  round $round: $line"
      echo "$line" >>"$results"
    done
  done
  node "$harness" summary "$shape" "$results"
done
