#!/usr/bin/env python3
"""Times the admin transactions list and its CSV export over HTTP/1.1 keep-alive.

Usage: admin_http.py BASE_URL COOKIE REPEAT PID
Prints one JSON object: p50/p99 of page 1 and of page 1,000 (found once by
following rel="next" 999 times), the CSV export of every row (seconds, bytes,
lines) and the server's VmHWM (peak resident memory) after the pages and
after the CSV.
"""
import html
import http.client
import json
import re
import sys
import time
import urllib.parse

base, cookie, repeat, pid = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
url = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
NEXT = re.compile(r'<a\b[^>]*\brel="next"[^>]*>')
HREF = re.compile(r'\bhref="([^"]*)"')


def get(path):
    started = time.perf_counter()
    conn.request("GET", path, headers={"cookie": cookie, "accept": "text/html"})
    resp = conn.getresponse()
    body = resp.read()
    elapsed = time.perf_counter() - started
    if resp.status != 200:
        sys.exit(f"GET {path}: HTTP {resp.status}: {body[:300]!r}")
    return elapsed, body


def next_href(page):
    tag = NEXT.search(page.decode("utf-8", "replace"))
    if not tag:
        return None
    href = HREF.search(tag.group(0))
    return html.unescape(href.group(1)) if href else None


def percentiles(samples):
    s = sorted(samples)
    pick = lambda q: s[min(len(s) - 1, int(round(q * (len(s) - 1))))]
    return {"p50_ms": round(pick(0.50) * 1000, 1), "p99_ms": round(pick(0.99) * 1000, 1), "n": len(s)}


def vm_hwm_kib():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


first = "/admin/transactions"
get(first)  # warm-up
page1 = percentiles([get(first)[0] for _ in range(repeat)])

walk_started = time.perf_counter()
path, pages = first, 1
_, body = get(path)
while pages < 1000:
    href = next_href(body)
    if href is None:
        sys.exit(f"page {pages} has no rel=next link (fewer than 1,000 pages?)")
    path = href if href.startswith("/") else urllib.parse.urljoin(path, href)
    _, body = get(path)
    pages += 1
walk_seconds = time.perf_counter() - walk_started
page1000 = percentiles([get(path)[0] for _ in range(repeat)])
hwm_pages = vm_hwm_kib()

started = time.perf_counter()
conn.request("GET", "/admin/transactions.csv", headers={"cookie": cookie})
resp = conn.getresponse()
size, lines = 0, 0
while True:
    chunk = resp.read(1 << 16)
    if not chunk:
        break
    size += len(chunk)
    lines += chunk.count(b"\n")
csv_seconds = time.perf_counter() - started
if resp.status != 200:
    sys.exit(f"CSV: HTTP {resp.status}")

print(json.dumps({
    "page1": page1,
    "page1000": page1000,
    "page1000_path": path,
    "walk_999_next_links_s": round(walk_seconds, 1),
    "csv": {"seconds": round(csv_seconds, 2), "bytes": size, "lines": lines},
    "vm_hwm_mib_after_pages": round(hwm_pages / 1024, 1),
    "vm_hwm_mib_after_csv": round(vm_hwm_kib() / 1024, 1),
}))
