#!/usr/bin/env bash
# Install flagsync into .venv, start the local emulators, and run the whole loop on
# examples/devcycle (or, with `./quickstart.sh posthog`, examples/posthog): plan (changes),
# apply, plan again (no changes). Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")"
PORT="${FLAGSYNC_QUICKSTART_PORT:-8765}"
VENDOR="${1:-devcycle}"
case "$VENDOR" in
  devcycle|posthog) ;;
  *) echo "usage: ./quickstart.sh [devcycle|posthog]" >&2; exit 1 ;;
esac

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step "python3 -m venv .venv && .venv/bin/pip install -e ."
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -e .
export PATH="$PWD/.venv/bin:$PATH"

python3 - "$PORT" <<'PY'
import socket, sys
with socket.socket() as probe:
    if probe.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0:
        sys.exit("port %s is taken by another program: run FLAGSYNC_QUICKSTART_PORT=<free port> "
                 "./quickstart.sh" % sys.argv[1])
PY

step "flagsync emulator --port $PORT &"
flagsync emulator --port "$PORT" &
EMULATOR_PID=$!
trap 'kill "$EMULATOR_PID" 2>/dev/null || true' EXIT
# Wait until *this* emulator answers (its own stats endpoint), or stop if it exited.
python3 - "$PORT" "$EMULATOR_PID" <<'PY'
import os, sys, time, urllib.request
port, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 15
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("the emulator exited; its message is above")
    try:
        with urllib.request.urlopen("http://127.0.0.1:%s/_emulator/stats" % port, timeout=0.5):
            sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit("the emulator did not answer on port %s within 15 s" % port)
PY

# The emulators' credentials; with the real vendors these come from your organization.
export DEVCYCLE_CLIENT_ID=emulator DEVCYCLE_CLIENT_SECRET=emulator-secret
export DEVCYCLE_API_URL="http://127.0.0.1:$PORT" DEVCYCLE_AUTH_URL="http://127.0.0.1:$PORT/oauth/token"
export POSTHOG_PERSONAL_API_KEY=phx_emulator_personal_key POSTHOG_API_URL="http://127.0.0.1:$PORT"
cd "examples/$VENDOR"

step "flagsync validate"
flagsync validate

step "flagsync plan        # exit code 2: there are changes"
status=0; flagsync plan || status=$?
[ "$status" -eq 2 ] || { echo "expected exit code 2 from plan, got $status"; exit 1; }

step "flagsync apply --yes"
flagsync apply --yes

step "flagsync plan        # exit code 0: nothing left to change"
flagsync plan
printf '\n\033[1mDone.\033[0m Edit examples/%s/flags/*.yaml and run `flagsync plan` again to see the change.\n' "$VENDOR"
