#!/usr/bin/env bash
# Install flagsync into .venv, start the local DevCycle emulator, and run the whole loop on
# examples/devcycle: plan (changes), apply, plan again (no changes). Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")"
PORT="${FLAGSYNC_QUICKSTART_PORT:-8765}"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step "python3 -m venv .venv && .venv/bin/pip install -e ."
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -e .
export PATH="$PWD/.venv/bin:$PATH"

step "flagsync emulator --port $PORT &"
flagsync emulator --port "$PORT" &
EMULATOR_PID=$!
trap 'kill "$EMULATOR_PID" 2>/dev/null || true' EXIT
python3 - "$PORT" <<'PY'
import socket, sys, time
deadline = time.monotonic() + 15
while time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit("the emulator did not start on port %s (is the port taken?)" % sys.argv[1])
PY

# The emulator's OAuth client; with the real DevCycle these come from your organization.
export DEVCYCLE_CLIENT_ID=emulator DEVCYCLE_CLIENT_SECRET=emulator-secret
export DEVCYCLE_API_URL="http://127.0.0.1:$PORT" DEVCYCLE_AUTH_URL="http://127.0.0.1:$PORT/oauth/token"
cd examples/devcycle

step "flagsync validate"
flagsync validate

step "flagsync plan        # exit code 2: there are changes"
status=0; flagsync plan || status=$?
[ "$status" -eq 2 ] || { echo "expected exit code 2 from plan, got $status"; exit 1; }

step "flagsync apply --yes"
flagsync apply --yes

step "flagsync plan        # exit code 0: nothing left to change"
flagsync plan
printf '\n\033[1mDone.\033[0m Edit examples/devcycle/flags/*.yaml and run `flagsync plan` again to see the change.\n'
