#!/usr/bin/env python3
# Reads OUT/partition-heights.tsv (epoch seconds, then the height of nodes 0-3, one poll per line) written by
# run-wan-pace.sh and writes OUT/partition.json.
#   wan-partition.py OUT RELAY_START_EPOCH CUT_AT_S CUT_FOR_S "LOAD BEFORE" "LOAD AFTER"
# The stall is read from the heights themselves: the longest time no node's height moved. (The relay's clock starts when
# its process has started up, seconds after the process's start time on a busy machine, so the cut's time from the
# process start is only approximate.) Resumption = that stall minus the cut's length.
import json, sys
out, s, at, dur, lb, la = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6]
rows = []
for line in open(f"{out}/partition-heights.tsv"):
    f = line.split()
    # A node that did not answer within the poll's 1 s leaves its column out: the chain's height is the highest answer.
    hs = [int(x) for x in f[1:] if x.isdigit()]
    if hs: rows.append((float(f[0]), hs))
changes = [rows[0]] + [r for p, r in zip(rows, rows[1:]) if max(r[1]) > max(p[1])] if rows else []
gaps = [(b[0] - a[0], a, b) for a, b in zip(changes, changes[1:])]
res = {"loadBefore": lb, "loadAfter": la, "cutAtSeconds": at, "cutForSeconds": dur, "polls": len(rows)}
if gaps:
    g, a, b = max(gaps, key=lambda x: x[0])
    res |= {"longestStallSeconds": round(g, 1), "stallFromSecondsAfterRelayStart": round(a[0] - s, 1),
            "stallToSecondsAfterRelayStart": round(b[0] - s, 1), "heightBeforeStall": max(a[1]), "heightAfterStall": max(b[1]),
            "resumedSecondsAfterHeal": round(g - dur, 1), "finalHeight": max(rows[-1][1]),
            "heightsPerSecondAfter": round((max(rows[-1][1]) - max(b[1])) / max(rows[-1][0] - b[0], 1e-9), 2)}
res["resumed"] = bool(gaps) and max(rows[-1][1]) > res.get("heightBeforeStall", 0)
json.dump(res, open(f"{out}/partition.json", "w"), indent=2)
print("partition:", json.dumps(res))
