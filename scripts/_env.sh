# Shared by scripts/serve and scripts/test: a virtual environment with the
# project installed. Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ICEWARP_SHARE_VENV:-$ROOT/.venv}"

pick_python() {
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'
        then
            echo "$candidate"
            return
        fi
    done
    echo "icewarp-share needs Python 3.11 or newer" >&2
    exit 1
}

ensure_venv() {
    local extras="$1"
    local stamp="$VENV/.installed-${extras:-base}"
    local spec="$ROOT"
    [ -z "$extras" ] || spec="$ROOT[$extras]"
    if [ ! -x "$VENV/bin/python" ]; then
        "$(pick_python)" -m venv "$VENV"
    fi
    # Reinstall only when the project's dependencies changed.
    if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet -e "$spec"
        touch "$stamp"
    fi
}
