#!/usr/bin/env bash
# Admin console benchmark (SQLite): seeds 100,000 and 1,000,000 deposits with
# `portal seed`, serves them, signs an admin in and times the transactions
# list (page 1, and page 1,000 found by following rel="next" 999 times) and
# the CSV export of every row, with the server's peak memory (VmHWM).
# Writes its section of bench/RESULTS.md.
#
#   bench/admin.sh                          # make bench runs it after bench/run.sh
#   PORTAL=target/debug/portal SIZES=20000 REPEAT=20 bench/admin.sh   # a quick try
#
# The figures that count come from the release build (make build-release).
set -euo pipefail
cd "$(dirname "$0")/.."
PORTAL=${PORTAL:-target/release/portal}
SIZES=${SIZES:-"100000 1000000"}
REPEAT=${REPEAT:-200}
DAYS=${DAYS:-30}
PORT=${PORT:-3710}
[ -x "$PORTAL" ] || { echo "no $PORTAL: run make build-release first (or set PORTAL=)"; exit 1; }
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
# Every command below talks to one SQLite file and the portal's own settings;
# no provider is called (the reconciler only finds seeded rows that are due).
env_for() {
  echo "DATABASE_URL=sqlite://$1 SANDBOX=off LEPTOS_SITE_ADDR=127.0.0.1:$PORT RUST_LOG=warn \
    PAYKASSMA_API_URL=http://127.0.0.1:9 PAYKASSMA_PLUGIN_URL=http://127.0.0.1:9/plugin \
    RECONCILE_INTERVAL_SECONDS=3600"
}

for n in $SIZES; do
  db="$work/admin-$n.db"
  users=$(( n / 100 > 100 ? n / 100 : 100 ))
  echo "==> seeding $n deposits for $users users ($PORTAL seed)"
  started=$(date +%s.%N)
  env $(env_for "$db") "$PORTAL" seed --users "$users" --deposits "$n" --days "$DAYS" --json > "$work/seed-$n.json"
  seed_wall=$(python3 -c "import sys; print(round($(date +%s.%N) - $started, 1))")
  printf 'pw-123456\n' | env $(env_for "$db") "$PORTAL" user add admin1 --admin > /dev/null
  db_mib=$(du -m "$db" | cut -f1)

  echo "==> serving $db on :$PORT"
  env $(env_for "$db") "$PORTAL" serve > "$work/serve-$n.log" 2>&1 &
  server=$!
  for _ in $(seq 1 200); do curl -fsS "http://127.0.0.1:$PORT/readyz" > /dev/null 2>&1 && break; sleep 0.1; done
  cookie=$(curl -fsS -o /dev/null -D - -X POST -H 'accept: text/html' \
      --data-urlencode login=admin1 --data-urlencode password=pw-123456 "http://127.0.0.1:$PORT/api/sign-in" \
    | tr -d '\r' | awk -F'[ ;]' 'tolower($1) == "set-cookie:" && $2 ~ /session=/ {print $2; exit}')
  [ -n "$cookie" ] || { echo "admin sign-in failed"; cat "$work/serve-$n.log"; exit 1; }

  echo "==> timing page 1, page 1,000 and the CSV export ($REPEAT requests per page)"
  bench/admin_http.py "http://127.0.0.1:$PORT" "$cookie" "$REPEAT" "$server" > "$work/http-$n.json"
  cat "$work/http-$n.json"
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
  python3 - "$work/seed-$n.json" "$work/http-$n.json" "$seed_wall" "$db_mib" >> "$work/rows.md" <<'PY'
import json, sys
s, h = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
print(f"| {s['deposits']:,} | {s['seconds']} s ({sys.argv[3]} s wall) | {sys.argv[4]} MiB "
      f"| {h['page1']['p50_ms']} / {h['page1']['p99_ms']} | {h['page1000']['p50_ms']} / {h['page1000']['p99_ms']} "
      f"| {h['csv']['lines'] - 1:,} rows, {h['csv']['bytes'] / 1048576:.0f} MiB in {h['csv']['seconds']} s "
      f"| {h['vm_hwm_mib_after_pages']} MiB | {h['vm_hwm_mib_after_csv']} MiB |")
PY
  rm -f "$db" "$db-wal" "$db-shm"
done

{
  echo "# Admin console benchmark"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr); $(date -u '+%Y-%m-%d %H:%M UTC'); binary \`$PORTAL\`."
  echo "Command: \`$( [ "$PORTAL" = target/release/portal ] && echo "make bench (bench/admin.sh)" || echo "PORTAL=$PORTAL SIZES=\"$SIZES\" REPEAT=$REPEAT bench/admin.sh")\`: SQLite, \`portal seed --users N/100 --deposits N --days $DAYS\`, one admin signed in, $REPEAT timed requests per page over one keep-alive connection (the client runs on the same cores)."
  echo
  echo "Page 1,000 is found once by following \`rel=\"next\"\` 999 times from page 1 (50 rows a page: rows 49,951-50,000, keyset pagination). The CSV is every deposit, unfiltered. Peak memory is the server's VmHWM after the page requests and after the CSV."
  echo
  echo "| deposits | seed (in-process / wall) | database | page 1 p50 / p99 ms | page 1,000 p50 / p99 ms | CSV export | peak RSS after pages | after CSV |"
  echo "|---|---|---|---|---|---|---|---|"
  cat "$work/rows.md"
} > "$work/section.md"
bench/put_section.py admin "$work/section.md"
cat "$work/section.md"
