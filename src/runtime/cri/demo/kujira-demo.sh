#!/bin/sh
# kujira-demo: PID 1 of the demo image. Serves HTTP on $PORT (8080) through busybox nc, one
# kujira-demo-request process per connection; logs to stdout; exits 0 on SIGTERM.
port="${PORT:-8080}"
state="${KUJIRA_DEMO_STATE:-/tmp/kujira-demo}"
mkdir -p "$state"
rm -f "$state/fail-healthy" "$state/fail-ready"
# Traps first: as PID 1 a signal with no handler is ignored, so a SIGTERM right after the
# start line (a quick delete) would otherwise wait out the whole grace period.
server=
trap 'echo "kujira-demo: SIGTERM received, exiting"; kill $server 2>/dev/null; exit 0' TERM
trap 'echo "kujira-demo: SIGINT received, exiting"; kill $server 2>/dev/null; exit 0' INT
echo "kujira-demo: starting on port $port as $(hostname)"
# nc's stderr (and so each request's log line) goes to our stdout.
nc -ll -p "$port" -e /bin/kujira-demo-request 2>&1 &
server=$!
wait $server
echo "kujira-demo: server exited"
exit 1
