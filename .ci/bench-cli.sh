#!/usr/bin/env bash
# Throughput of `sendcloud-gate check --json --requests` on 100,000 request lines (a mix of Sendcloud, browser,
# spoofed and forwarded requests), best of three runs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release -p sendcloud-gate-cli --bin sendcloud-gate
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir/requests.jsonl" <<'PY'
import json, sys
shapes = [
    {"remote_addr": "94.232.247.10", "method": "PATCH", "uri": "/wp-json/wc/v3/orders/12",
     "headers": {"User-Agent": "SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)"}},
    {"remote_addr": "198.51.100.23", "method": "GET", "uri": "/shop/?page=2",
     "headers": {"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"}},
    {"remote_addr": "203.0.113.7", "method": "POST", "uri": "/wp-json/wc/v3/orders",
     "headers": {"User-Agent": "Sendcloud/1.0.0"}},
    {"remote_addr": "10.0.0.2", "method": "GET", "uri": "/",
     "headers": {"User-Agent": "curl/8.5.0", "X-Forwarded-For": "198.51.100.9, 10.0.0.1"}},
]
with open(sys.argv[1], "w") as f:
    for i in range(100_000):
        f.write(json.dumps(shapes[i % len(shapes)]) + "\n")
PY
policy="$dir/policy.json"
echo '{"trusted_proxies":{"presets":["private"]}}' > "$policy"
best=""
for _ in 1 2 3; do
  start=$(date +%s%N)
  target/release/sendcloud-gate check --json --policy "$policy" --requests "$dir/requests.jsonl" > "$dir/out.jsonl"
  end=$(date +%s%N)
  ms=$(( (end - start) / 1000000 ))
  if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
done
lines=$(wc -l < "$dir/out.jsonl")
echo "check --requests: $lines lines in ${best} ms (best of 3) = $(( lines * 1000 / (best > 0 ? best : 1) )) requests/s"
