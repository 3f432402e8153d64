#!/bin/sh
# The full tour (make demo): a local ClassIn sandbox with the built-in world,
# plan and apply examples/school/, the sandbox's true roster, plan again: No changes.
set -eu
cd "$(dirname "$0")/.."
BIN=.venv/bin
rm -rf .demo
mkdir -p .demo

"$BIN/eeo-reconcile" sandbox --port 0 2> .demo/sandbox.log &
SANDBOX=$!
trap 'kill $SANDBOX 2>/dev/null || true' EXIT INT TERM
URL=""
for _ in $(seq 1 100); do
    URL=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' .demo/sandbox.log)
    [ -n "$URL" ] && break
    sleep 0.1
done
[ -n "$URL" ] || { cat .demo/sandbox.log; echo "the sandbox did not start" >&2; exit 1; }

# The sandbox's own secret (see eeo_reconcile/sandbox/demo_world.yaml); a real
# school keeps its SECRET in the CI's secret store, never in a file.
export EEO_API_URL="$URL" EEO_SECRET=sandbox-secret
STATE=.demo/eeo.state.json

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
step "eeo-reconcile validate examples/school"
"$BIN/eeo-reconcile" validate examples/school
step "eeo-reconcile plan examples/school   (against an empty state, sandbox at $URL)"
"$BIN/eeo-reconcile" plan examples/school --state "$STATE"
step "eeo-reconcile apply examples/school --auto-approve"
"$BIN/eeo-reconcile" apply examples/school --state "$STATE" --auto-approve
step "the sandbox's true rosters"
"$BIN/python" - "$URL" <<'PY'
import json, sys, urllib.request
for course in (442447, 442448):
    with urllib.request.urlopen(f"{sys.argv[1]}/_sandbox/courses/{course}") as r:
        print(course, json.dumps(json.load(r), ensure_ascii=False))
PY
step "eeo-reconcile plan examples/school   (again)"
"$BIN/eeo-reconcile" plan examples/school --state "$STATE"
step "what the sandbox saw (one line per call; never a safeKey)"
cat .demo/sandbox.log
