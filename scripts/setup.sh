#!/usr/bin/env bash
# Idempotent set-up used by `make report`, `make test` and `make lab`.
#   scripts/setup.sh python   -> .venv with the package (editable) and its dev tools
#   scripts/setup.sh system   -> Chromium, fonts covering Italian, poppler-utils (PDF export and checks)
# Each step says what it installs, and does nothing (quickly) when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
PYTHON=${PYTHON:-python3}

setup_python() {
    local stamp="$VENV/.softskills-installed"
    local want
    want=$(sha256sum pyproject.toml | cut -d' ' -f1)
    if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        echo "setup: creating virtual environment $VENV with $($PYTHON --version 2>&1)"
        "$PYTHON" -m venv "$VENV"
    fi
    echo "setup: installing softskills-survey (editable) and its dev tools into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]'
    echo "$want" > "$stamp"
}

find_chromium() {
    for b in "${SOFTSKILLS_CHROMIUM:-}" chromium chromium-browser google-chrome google-chrome-stable; do
        [ -n "$b" ] && command -v "$b" >/dev/null 2>&1 && { command -v "$b"; return 0; }
    done
    return 1
}

setup_system() {
    local missing=()
    find_chromium >/dev/null || missing+=(chromium)
    fc-list 2>/dev/null | grep -qi "DejaVu Sans" || missing+=(fonts-dejavu-core)
    command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing system packages: ${missing[*]}" >&2
        echo "setup: install them (e.g. 'sudo apt-get install ${missing[*]}') or set SOFTSKILLS_CHROMIUM to a Chrome/Chromium binary, then run again." >&2
        exit 1
    fi
    echo "setup: installing system packages with apt-get: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # another apt (unattended upgrades, a parallel set-up) may hold the lock: wait up to 10 min
    local wait_lock=(-o DPkg::Lock::Timeout=600)
    apt-get "${wait_lock[@]}" update -qq
    apt-get "${wait_lock[@]}" install -y -qq --no-install-recommends "${missing[@]}" fontconfig >/dev/null
}

case "${1:-all}" in
    python) setup_python ;;
    system) setup_system ;;
    all) setup_python; setup_system ;;
    *) echo "usage: $0 [python|system|all]" >&2; exit 2 ;;
esac
