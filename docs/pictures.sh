#!/usr/bin/env bash
# Regenerates the README's pictures with forkscope itself:
#
#   bash docs/pictures.sh
#
# Each is `forkscope snapshot` of a stepped run (round robin, pids shown as
# 1000 + lane), so running this again gives byte-identical files unless the
# lesson or the dashboard changed.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet
forkscope=target/release/forkscope

# ticket-race with its Lock, mid-run: Process-1 holds lock (and has
# bought a ticket: the ticket file says {"count":2}), six buyers wait for it,
# blocked.
race=(snapshot ticket-race --param lock=true --steps 50 --size 120x32)
"$forkscope" "${race[@]}" --out docs/ticket-race.png
"$forkscope" "${race[@]}" --out docs/ticket-race.svg

# The same moment with the interface in Chinese.
"$forkscope" --lang zh "${race[@]}" --out docs/ticket-race-zh.png

# Two locks taken in opposite order: the run stops where the cycle shows
# (step 12), under the red DEADLOCK banner.
"$forkscope" snapshot deadlock --size 110x32 --out docs/deadlock.png
# …and in Chinese: the banner and the log's events are said in Chinese.
"$forkscope" --lang zh snapshot deadlock --size 110x32 --out docs/deadlock-zh.png

# A Python program (tests/python/programs/deadlock.py, plain CPython code):
# the two locks are named after their variables, each process shows its
# Python line.
"$forkscope" snapshot tests/python/programs/deadlock.py --size 110x32 --out docs/python-deadlock.png

# The notes' traffic light (the forever variant) with the log pane as the
# Console: the program's ANSI colours as colours, as a terminal shows them.
"$forkscope" snapshot assets/scenarios/py/traffic-light-forever.py --steps 40 --console --size 100x30 --out docs/traffic-light-console.png

# A shared-Value race (docs/bank-race.py) with the Variables pane: both
# withdrawals read 1000 before either writes; Process-1 has written 900, and
# Process-2's `old` still holds the 1000 it read — its write will lose
# Process-1's withdrawal. The schedule is recorded, then drawn at step 6.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
here=$PWD
(cd "$tmp" && "$here/$forkscope" run "$here/docs/bank-race.py" --schedule 1,1,1,2,3,2,3 --record bank-race.fsrec --headless --timeout 30 >/dev/null \
  && "$here/$forkscope" snapshot bank-race.fsrec --steps 6 --variables Process-2 --size 100x30 --out "$here/docs/bank-race-variables.png")

# The ticket race as a Python program of the notes (assets/scenarios/py/
# ticket-race.py) at 120x36: every buyer with its mark, the Lock's queue,
# the timeline's legend; the Source pane without forkscope's fix notes.
"$forkscope" snapshot assets/scenarios/py/ticket-race.py --steps 60 --size 120x36 --out docs/python-ticket-race.png

# The ticket race's oversell as a sequence diagram: explore --all, asked for
# the oversell, finds the shortest bad schedule; the diagram shows each
# buyer's reads and writes of the ticket file, the conflicting ones in red
# and why under it.
fsrec="$tmp/oversold.fsrec"
"$forkscope" explore ticket-race.py --param variant=race --param buyers=3 --param tickets=2 --all --bad oversold --out "$fsrec" >/dev/null
"$forkscope" snapshot "$fsrec" --diagram --out docs/oversold-diagram.png
