#!/usr/bin/env bash
# Executes every notebooks/*.ipynb headless with Debian's Jupyter and the tslab kernel.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
books=(notebooks/*.ipynb)
if [ ${#books[@]} -eq 0 ]; then echo "notebooks: none yet"; exit 0; fi
if ! /usr/bin/python3 -c 'import nbconvert, nbclient' 2>/dev/null; then
  echo "notebooks: Debian's Jupyter is missing; install with: apt-get install jupyter-nbconvert python3-nbclient python3-ipykernel" >&2
  exit 1
fi
for nb in "${books[@]}"; do
  echo "notebooks: running $nb"
  /usr/bin/python3 -m nbconvert --to notebook --execute --output-dir /tmp/modalab-notebooks "$nb"
done
