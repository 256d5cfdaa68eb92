#!/usr/bin/env python3
"""scale_plot.py: draw test/bench/scale.png from scale.sh's CSV.

Usage: python3 scale_plot.py scale.csv scale.png
Left: wall time of recsys_train (reading, training, total) against ratings;
right: the backend's peak memory against ratings.  Only the rows with the
default options are drawn as lines (the same options at every size), so
that linear growth shows as a straight line; other rows are single points.
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(src, dst):
    """Read the CSV and write the two panels to dst."""
    with open(src, newline="") as f:
        rows = list(csv.DictReader(f))
    base = [r for r in rows if r["options"] == "defaults"]
    other = [r for r in rows if r["options"] != "defaults"]
    m = [int(r["ratings"]) / 1e6 for r in base]

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(m, [float(r["total_s"]) for r in base], "o-", label="total")
    ax1.plot(m, [float(r["train_s"]) for r in base], "s--", label="training")
    ax1.plot(m, [float(r["read_s"]) for r in base], "^--", label="reading")
    for r in other:
        ax1.plot(int(r["ratings"]) / 1e6, float(r["total_s"]), "k*",
                 label="total, " + r["options"])
    ax1.axhline(60, color="grey", lw=0.8, ls=":", label="60 s target")
    ax1.set_xlabel("ratings (millions)")
    ax1.set_ylabel("seconds")
    ax1.set_title("recsys_train('mf'), 2 threads")
    ax1.legend(fontsize=8)

    ax2.plot(m, [float(r["hwm_mb"]) for r in base], "o-", label="defaults")
    for r in other:
        ax2.plot(int(r["ratings"]) / 1e6, float(r["hwm_mb"]), "k*",
                 label=r["options"])
    ax2.axhline(1024, color="grey", lw=0.8, ls=":", label="1 GB target")
    ax2.set_xlabel("ratings (millions)")
    ax2.set_ylabel("MB")
    ax2.set_title("backend peak memory (VmHWM)")
    ax2.legend(fontsize=8)

    fig.tight_layout()
    fig.savefig(dst, dpi=100)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
