# Sourced by the web tests: serve_url OUT ERR PID TRIES prints the URL a starting `strata serve`
# (its stdout in OUT, stderr in ERR, process PID) announces within TRIES x 0.1 s; fails, showing
# ERR, if the server exits first or never says.
serve_url() {
  local out=$1 err=$2 pid=$3 tries=$4 url=
  for _ in $(seq "$tries"); do
    url=$(sed -n 's/^strata serve: \(http:[^ ]*\).*/\1/p' "$out")
    [[ -n "$url" ]] && { echo "$url"; return 0; }
    kill -0 "$pid" 2>/dev/null || { cat "$err" >&2; return 1; }
    sleep 0.1
  done
  echo "strata serve did not start" >&2
  cat "$err" >&2
  return 1
}
