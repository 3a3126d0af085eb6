#!/usr/bin/env bash
# Executes every notebooks/*.ipynb headless with Debian's Jupyter and the tslab kernel, and
# exits non-zero if any cell errors, printing the failing cell and its error.
#   pnpm notebooks                                  all notebooks
#   pnpm notebooks notebooks/01-quickstart.ipynb    just these
# Executed copies (outputs and plots included) go to $NOTEBOOKS_OUT (default /tmp/modalab-notebooks).
# Needs Debian's Jupyter (apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel
# jupyter-client; run with /usr/bin/python3 because the python3 on PATH may be another
# interpreter) and `pnpm install` (tslab is a dev dependency of notebooks/). Registers the
# tslab kernel for the current user when it is missing, and builds the workspace packages
# first (tslab loads each package's dist/ through its main/types); NOTEBOOKS_SKIP_BUILD=1 skips that.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shopt -s nullglob

PYTHON=/usr/bin/python3
OUT=${NOTEBOOKS_OUT:-/tmp/modalab-notebooks}
TIMEOUT=${NOTEBOOK_CELL_TIMEOUT:-600}
TSLAB="$root/notebooks/node_modules/.bin/tslab"
# ipykernel's debugger warns about frozen modules on every Python start; the warning is harmless.
export PYDEVD_DISABLE_FILE_VALIDATION=1
say() { printf 'notebooks: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

if [ $# -gt 0 ]; then books=("$@"); else books=(notebooks/*.ipynb); fi
if [ ${#books[@]} -eq 0 ]; then say "none yet"; exit 0; fi
for nb in "${books[@]}"; do [ -f "$nb" ] || fail "no such notebook: $nb"; done

if [ ! -x "$PYTHON" ] || ! "$PYTHON" -c 'import nbformat, nbclient, ipykernel, jupyter_client' 2>/dev/null; then
  fail "Debian's Jupyter is missing; install it with:
  sudo apt-get install -y --no-install-recommends jupyter-nbconvert python3-nbclient python3-ipykernel jupyter-client"
fi
[ -x "$TSLAB" ] || fail "tslab is not installed ($TSLAB is missing): run pnpm install"

# The tslab kernel, registered for this user and pointing at this checkout's tslab.
registered=$("$PYTHON" -c '
from jupyter_client.kernelspec import KernelSpecManager
try:
    print(KernelSpecManager().get_kernel_spec("tslab").argv[0])
except Exception:
    pass' 2>/dev/null || true)
if [ "$registered" != "$TSLAB" ]; then
  say "registering the tslab kernel (${registered:-not registered} -> $TSLAB)"
  "$TSLAB" install --python="$PYTHON" --binary="$TSLAB" --user >/dev/null \
    || fail "tslab install failed; run it by hand: $TSLAB install --python=$PYTHON --binary=$TSLAB --user"
fi

if [ -z "${NOTEBOOKS_SKIP_BUILD:-}" ]; then
  say "building the workspace packages (pnpm build)"
  build_log=$(mktemp)
  if ! pnpm build >"$build_log" 2>&1; then
    cat "$build_log" >&2
    rm -f "$build_log"
    fail "pnpm build failed: the notebooks import the built packages"
  fi
  rm -f "$build_log"
fi

# Runs one notebook with nbclient; when a cell fails it prints that cell, its stderr and its
# traceback. (nbconvert --execute prints next to nothing for tslab: a TypeScript compile error
# arrives as stderr text with an empty error reply.)
run_one='
import os, sys, nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

src, out_dir, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
nb = nbformat.read(src, as_version=4)

def report(cell, index, reply):
    number = sum(1 for c in nb.cells[: index + 1] if c.cell_type == "code")
    lines = cell.source.splitlines()
    print(f"\n--- {src}: code cell {number} (cell {index}) failed:", file=sys.stderr)
    print("\n".join("    " + l for l in lines[:8]) + ("\n    ..." if len(lines) > 8 else ""), file=sys.stderr)
    print("--- its error:", file=sys.stderr)
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream" and o.get("name") == "stderr":
            print(o.get("text", ""), file=sys.stderr, end="")
        elif o.get("output_type") == "error":
            fallback = [str(o.get("ename")) + ": " + str(o.get("evalue"))]
            print("\n".join(o.get("traceback") or fallback), file=sys.stderr)
    content = (reply or {}).get("content", {})
    if content.get("ename") or content.get("evalue"):
        print(str(content.get("ename", "")) + ": " + str(content.get("evalue", "")), file=sys.stderr)
    print("---", file=sys.stderr)

client = NotebookClient(
    nb, timeout=timeout, kernel_name="tslab", allow_errors=False,
    resources={"metadata": {"path": os.path.dirname(os.path.abspath(src))}},
    on_cell_error=lambda cell, cell_index, execute_reply: report(cell, cell_index, execute_reply),
)
ok = True
try:
    client.execute()
except CellExecutionError:
    ok = False
except (CellTimeoutError, DeadKernelError) as e:
    ok = False
    print(f"--- {src}: {type(e).__name__}: {e}", file=sys.stderr)
finally:
    nbformat.write(nb, os.path.join(out_dir, os.path.basename(src)))
sys.exit(0 if ok else 1)
'

mkdir -p "$OUT"
failed=()
for nb in "${books[@]}"; do
  say "running $nb"
  start=$(date +%s)
  if "$PYTHON" -c "$run_one" "$nb" "$OUT" "$TIMEOUT"; then status=ok; else status=failed; fi
  took=$(($(date +%s) - start))
  if [ "$status" = ok ]; then
    say "$nb: ok in ${took}s -> $OUT/$(basename "$nb")"
  else
    say "$nb: FAILED after ${took}s (executed copy with outputs: $OUT/$(basename "$nb"))"
    failed+=("$nb")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then fail "${#failed[@]} notebook(s) failed: ${failed[*]}"; fi
say "all ${#books[@]} notebook(s) ran without errors"
