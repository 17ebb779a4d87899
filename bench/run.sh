#!/usr/bin/env bash
# Postback benchmark on SQLite and PostgreSQL; writes its section of bench/RESULTS.md.
# Needs the release build (make bench does it) and PostgreSQL on 127.0.0.1:5432.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${REQUESTS:-4000}
CONCURRENCY=${CONCURRENCY:-64}
PG=${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PORT=3700
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

echo "==> building the load generator (release)"
cargo build --release --features ssr,sandbox --no-default-features --example loadgen -q
LOADGEN=target/release/examples/loadgen

run_one() {
  local name=$1 url=$2
  echo "==> $name: portal on :$PORT, $REQUESTS postbacks from $CONCURRENCY senders (20% duplicates)"
  DATABASE_URL=$url SANDBOX=off LEPTOS_SITE_ADDR=127.0.0.1:$PORT RUST_LOG=warn \
    PAYKASSMA_API_URL=http://127.0.0.1:9 PAYKASSMA_PLUGIN_URL=http://127.0.0.1:9/plugin \
    PAYKASSMA_API_SECRET=sandbox-api-secret PAYKASSMA_POSTBACK_ACCESS_KEY=sandbox-access-key \
    PAYKASSMA_POSTBACK_PRIVATE_KEY=sandbox-private-key PAYKASSMA_WITHDRAWAL_KEY=sandbox-withdrawal-key \
    target/release/portal serve > "$work/$name.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  $LOADGEN --portal "http://127.0.0.1:$PORT" --database-url "$url" --requests "$REQUESTS" --concurrency "$CONCURRENCY" > "$work/$name.json"
  local rss_kb
  rss_kb=$(awk '/VmHWM/ {print $2}' /proc/$server/status)
  kill $server; wait $server 2>/dev/null || true
  python3 - "$work/$name.json" "$rss_kb" >> "$work/rows.md" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); rss = int(sys.argv[2]) / 1024
h, d = r["http"], r["direct_sql"]
print(f"| {r['backend']} | {r['requests']} ({r['unique_payments']} unique) | {h['postbacks_per_sec']:.0f} | {h['p50_ms']:.1f} | {h['p99_ms']:.1f} | {d['postbacks_per_sec']:.0f} | {r['http_over_direct']*100:.0f}% | {rss:.0f} MiB | {'yes' if h['credited_exactly_once'] and d['credited_exactly_once'] and r['ledger_check_clean'] and h['failures']==0 else 'NO'} |")
PY
  cat "$work/$name.json"; echo
}

run_one sqlite "sqlite://$work/bench.db"
pgdb="portal_bench_$(date +%s)"
run_one postgres "${PG%/*}/$pgdb"
psql "$PG" -qc "DROP DATABASE IF EXISTS \"$pgdb\" WITH (FORCE)" >/dev/null 2>&1 || true

{
  echo "# Postback benchmark"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr); $(date -u '+%Y-%m-%d %H:%M UTC')."
  echo "Command: \`make bench\` (bench/run.sh: release build, $REQUESTS postbacks for deposits of 100 users, $CONCURRENCY concurrent senders, 20% duplicates, signature verification on; the load generator runs on the same 2 cores)."
  echo
  echo "\"direct SQL\" is the same transaction (record the postback, idempotent credit, deposit update) run by $CONCURRENCY tasks straight against the same database in the same run, without HTTP, JSON or signature work: the database's own limit for this work. \"exactly once\" = every unique payment credited once, duplicates ignored, ledger check clean."
  echo
  echo "| backend | postbacks | HTTP postbacks/s | p50 ms | p99 ms | direct SQL/s | HTTP / direct | server peak RSS | exactly once |"
  echo "|---|---|---|---|---|---|---|---|---|"
  cat "$work/rows.md"
} > "$work/section.md"
bench/put_section.py postback "$work/section.md"
cat "$work/section.md"
