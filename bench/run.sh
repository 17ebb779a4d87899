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
PUSH_DEPOSITS=${PUSH_DEPOSITS:-30}
servers=()
trap 'kill "${servers[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

echo "==> building the load generator (release)"
cargo build --release --features ssr,sandbox --no-default-features --example loadgen -q
LOADGEN=target/release/examples/loadgen

# serve NAME URL PORT: a portal process (sandbox off, demo keys) on PORT; its pid in $server.
serve() {
  local name=$1 url=$2 port=$3
  DATABASE_URL=$url SANDBOX=off LEPTOS_SITE_ADDR=127.0.0.1:$port RUST_LOG=warn \
    PAYKASSMA_API_URL=http://127.0.0.1:9 PAYKASSMA_PLUGIN_URL=http://127.0.0.1:9/plugin \
    PAYKASSMA_API_SECRET=sandbox-api-secret PAYKASSMA_POSTBACK_ACCESS_KEY=sandbox-access-key \
    PAYKASSMA_POSTBACK_PRIVATE_KEY=sandbox-private-key PAYKASSMA_WITHDRAWAL_KEY=sandbox-withdrawal-key \
    target/release/portal serve > "$work/$name.log" 2>&1 &
  server=$!
  servers+=("$server")
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
}

run_one() {
  local name=$1 url=$2
  echo "==> $name: portal on :$PORT, $REQUESTS postbacks from $CONCURRENCY senders (20% duplicates)"
  serve "$name" "$url" "$PORT"
  $LOADGEN --portal "http://127.0.0.1:$PORT" --database-url "$url" --requests "$REQUESTS" --concurrency "$CONCURRENCY" > "$work/$name.json"
  local rss_kb
  rss_kb=$(awk '/VmHWM/ {print $2}' /proc/$server/status)
  kill $server; wait $server 2>/dev/null || true
  python3 - "$work/$name.json" "$rss_kb" >> "$work/rows.md" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); rss = int(sys.argv[2]) / 1024
h, d, m = r["http"], r["direct_sql"], r["minimal_ledger_write"]
once = h['credited_exactly_once'] and d['credited_exactly_once'] and m['exactly_once'] and r['ledger_check_clean'] and h['failures'] == 0 and d['errors'] == 0 and m['errors'] == 0
print(f"| {r['backend']} | {r['requests']} ({r['unique_payments']} unique) | {m['postbacks_per_sec']:.0f} | {d['postbacks_per_sec']:.0f} | {h['postbacks_per_sec']:.0f} | {h['p50_ms']:.1f} | {h['p99_ms']:.1f} | {r['http_over_minimal']:.2f} | {r['direct_over_minimal']:.2f} | {r['http_over_direct']:.2f} | {rss:.0f} MiB | {'yes' if once else 'NO'} |")
PY
  cat "$work/$name.json"; echo
}

run_one sqlite "sqlite://$work/bench.db"
pgdb="portal_bench_$(date +%s)"
run_one postgres "${PG%/*}/$pgdb"
psql "$PG" -qc "DROP DATABASE IF EXISTS \"$pgdb\" WITH (FORCE)" >/dev/null 2>&1 || true

echo "==> push: two portal processes on one PostgreSQL, $PUSH_DEPOSITS deposits: stream on B (:$((PORT+1))), postback to A (:$PORT)"
pushdb="portal_push_$(date +%s)"
serve push-a "${PG%/*}/$pushdb" "$PORT"
a=$server
serve push-b "${PG%/*}/$pushdb" "$((PORT+1))"
b=$server
$LOADGEN --portal "http://127.0.0.1:$((PORT+1))" --push-to "http://127.0.0.1:$PORT" --deposits "$PUSH_DEPOSITS" \
  --database-url "${PG%/*}/$pushdb" > "$work/push.json"
cat "$work/push.json"
kill $a $b; wait $a $b 2>/dev/null || true
psql "$PG" -qc "DROP DATABASE IF EXISTS \"$pushdb\" WITH (FORCE)" >/dev/null 2>&1 || true

{
  echo "# Postback benchmark"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr); $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')."
  echo "Command: \`make bench\` (bench/run.sh: release build, $REQUESTS postbacks for deposits of 100 users, $CONCURRENCY concurrent senders, 20% duplicates, signature verification on; the load generator runs on the same $(nproc) cores)."
  echo
  echo "Three measurements per backend, in one run, on one database, same users, same share of duplicates, same $CONCURRENCY tasks and the portal's own pools (SQLite: WAL, \`synchronous=FULL\`, one writer connection; PostgreSQL: 16 connections):"
  echo "- **minimal write**: the ledger's essential work only, one transaction per payment: an idempotent entry insert (\`ON CONFLICT DO NOTHING RETURNING\`) and, if new, the balance update. The database's own rate for what a credit must do."
  echo "- **direct**: the portal's crediting transaction (\`postback::credit_items\`: record the raw postback, claim the transaction id, entry, balance, deposit, timeline, verdict) called by the tasks without HTTP, JSON or signatures."
  echo "- **HTTP**: signed postbacks to the running portal (signature checked, JSON parsed, PHP re-encoding), answered 200 only once committed."
  echo
  echo "\"exactly once\" = every unique payment credited once in each phase, duplicates ignored, no errors, \`ledger check\` clean. Peak RSS is the server's VmHWM after the HTTP phase."
  echo
  echo "| backend | postbacks | minimal write/s | direct/s | HTTP/s | HTTP p50 ms | HTTP p99 ms | HTTP / minimal | direct / minimal | HTTP / direct | server peak RSS | exactly once |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  cat "$work/rows.md"
  echo
  python3 - "$work/push.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"Cross-process push (two portal processes on one PostgreSQL, {r['deposits']} deposits one after another; time from the postback's 200 on process A to the \"credited\" event on process B's live-status stream): **p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms**, max {r['max_ms']:.1f} ms; {r['missed']} missed (not within 10 s).")
PY
} > "$work/section.md"
bench/put_section.py postback "$work/section.md"
cat "$work/section.md"
