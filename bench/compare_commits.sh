#!/usr/bin/env bash
# The build, the customer_360 part and the workbench latency of an older commit against main, on one generated
# bank, runs interleaved (old, new, old, new) so that a busy machine weighs on both alike. Results: /tmp/cmp/.
set -uo pipefail
OLD=${1:?usage: bench/compare_commits.sh OLD_COMMIT (compares it with main)}
N=${N:-100000}
REPO=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p /tmp/cmp && cd /tmp/cmp
rm -rf old new bank
git clone -q "$REPO" new && git -C new log --oneline -1
git clone -q "$REPO" old && git -C old checkout -q $OLD && git -C old log --oneline -1
for d in old new; do ln -s "$REPO"/.venv $d/.venv; done
run() { local d=$1; shift; PYTHONPATH=/tmp/cmp/$d/src "$@"; }
F="$REPO"/.venv/bin/finecrm
PY="$REPO"/.venv/bin/python
run new $F generate --customers $N --months 12 --seed 1 --out /tmp/cmp/bank --quiet
for d in old new; do
  run $d $F init --home /tmp/cmp/$d/ws >/dev/null
  /usr/bin/time -f "$d ingest %e s %M KB" bash -c "PYTHONPATH=/tmp/cmp/$d/src $F ingest /tmp/cmp/bank --home /tmp/cmp/$d/ws --quiet" 2>&1 | tail -1
done
for i in 1 2; do for d in old new; do
  /usr/bin/time -f "$d build %e s %M KB" bash -c "PYTHONPATH=/tmp/cmp/$d/src $F build --home /tmp/cmp/$d/ws --quiet >/dev/null" 2>&1 | tail -1
done; done
for i in 1 2 3; do for d in old new; do
  /usr/bin/time -f "$d c360 %e s %M KB" bash -c "cd /tmp/cmp/$d && PYTHONPATH=/tmp/cmp/$d/src $PY bench/finecrm_customer_360.py /tmp/cmp/$d/ws --no-segments >/dev/null" 2>&1 | tail -1
done; done
for d in old new; do
  (cd /tmp/cmp/$d && PYTHONPATH=/tmp/cmp/$d/src $PY bench/web_latency.py --home /tmp/cmp/$d/ws --out /tmp/cmp/web-$d.json) > /tmp/cmp/web-$d.log 2>&1
  echo "$d web rc=$?"
done
echo done
