#!/usr/bin/env bash
# A bounded loopback load on strata serve (docs/serve.md, "Load"): serve_load's clients on tiles,
# time series, points and online predictions. Fails on any answer other than 200, 304 and the
# documented 503, or when memory is not bounded (over 2 GB, or growing by more than 300 MB in the
# run's second half, after caches and worker arenas have filled); timings are printed, never
# judged. Then an asynchronous job is submitted, the server killed with SIGKILL and restarted on
# the same jobs folder: the job must finish.
#   run_serve_load.sh STRATA MAKE_CATALOG SERVE_LOAD [SECONDS [CLIENTS [PREDICT_EVERY]]]
set -euo pipefail
source "$(dirname "$0")/serve_url.sh"
strata=$1 make_catalog=$2 serve_load=$3 seconds=${4:-10} clients=${5:-64} predict_every=${6:-25}
work=$(mktemp -d)
server=
cleanup() { if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi; rm -rf "$work"; }
trap cleanup EXIT

start_server() {  # sets $server and $port
  : >"$work/serve.out"
  "$strata" serve --maps "$work/pred" --model "$work/model.h5" --jobs "$work/jobs" --listen 127.0.0.1:0 --quiet \
    >"$work/serve.out" 2>>"$work/serve.err" &
  server=$!
  local url
  url=$(serve_url "$work/serve.out" "$work/serve.err" "$server" 200)
  port=${url##*:}
  port=${port%/}
}

"$make_catalog" "$work" >"$work/catalog.log" 2>&1 || { cat "$work/catalog.log"; exit 1; }
upload=$(ls "$work"/synth/S2_*.tif | grep -v _QA | head -1)
start_server
result=$("$serve_load" 127.0.0.1 "$port" "$seconds" "$clients" "$server" "$upload" "$predict_every")
echo "$result"
python3 - "$result" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
q = [v / 1024 for v in r["rss_kib_quarters"]]
print(f"requests {r['requests']}, {r['requests_per_s']:.0f}/s; memory by quarter (MB): " + " ".join(f"{v:.0f}" for v in q))
bad = {k: v for k, v in r["status"].items() if k not in ("200", "304", "503")}
assert not bad, f"answers other than 200/304/503: {bad}"
assert r["requests"] > 0, "no request was answered"
assert q[3] < 2048, f"memory {q[3]:.0f} MB"
assert q[3] - q[1] < 300, f"memory grew by {q[3] - q[1]:.0f} MB in the second half"
PY

# A killed server keeps its asynchronous jobs.
job=$(python3 - "$port" "$upload" <<'PY'
import json, sys, urllib.request
port, upload = sys.argv[1], sys.argv[2]
req = urllib.request.Request(f"http://127.0.0.1:{port}/processes/classify/execution", data=open(upload, "rb").read(),
                             headers={"Content-Type": "image/tiff", "Prefer": "respond-async"}, method="POST")
with urllib.request.urlopen(req) as r:
    assert r.status == 201, r.status
    print(json.load(r)["jobID"])
PY
)
kill -9 "$server"
wait "$server" 2>/dev/null || true
start_server
python3 - "$port" "$job" <<'PY'
import json, sys, time, urllib.request
port, job = sys.argv[1], sys.argv[2]
for _ in range(600):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/jobs/{job}") as r:
        status = json.load(r)["status"]
    if status in ("successful", "failed"):
        break
    time.sleep(0.1)
assert status == "successful", status
with urllib.request.urlopen(f"http://127.0.0.1:{port}/jobs/{job}/results") as r:
    assert r.read(4) in (b"II*\x00", b"MM\x00*")
print(f"job {job}: submitted, server killed (SIGKILL) and restarted, job {status}")
PY
