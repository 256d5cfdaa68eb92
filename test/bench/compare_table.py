#!/usr/bin/python3
"""compare_table.py RECSYS_TSV TORCH_JSONL: the Markdown table and the target
verdicts of test/bench/compare.sh from its raw runs.

RECSYS_TSV lines: cfg, threads, rep, seconds of the whole recsys_train call,
u1.test RMSE, RMSE scaled to [0,1], epochs run, best epoch, core training
seconds.  TORCH_JSONL lines: {"cfg", "threads", "rep", "run": torch_mf.py's
JSON}.  Times are medians over the repetitions.
"""
import json
import os
import statistics
import sys

TARGET = 10.0  # the speed-up target for mf (rows a-c)
DENSE_TARGET = 5.0  # the speed-up target for the dense kind
LSTM_TARGET = 3.0  # the speed-up target for the lstm kind, per epoch
MF_THREADED = os.environ.get("COMPARE_MF_THREADED") == "1"  # set by compare.sh
TOL = 0.005  # RMSE spread over training seeds (see the notes the table prints)

LABELS = {
    "defaults": "a. defaults: per-rating SGD, 100 factors, biases, lr 0.1 × 0.8/epoch, early stopping",
    "defaults_cap": "a. the same, capped at the PyTorch loop's epochs",
    "adam": "b. tuned baseline: lazy Adam, batches of 1,024, 20 factors, lr 0.01, l2 0.08, early stopping",
    "article": "c. the article's model: plain dot product, 20 factors, N(0,1) init, per-rating SGD on MSE, no early stopping; lr 0.01 (ours) with zero_grad",
    "verbatim": "c. the article's code as published: lr 1e-6, rows in user order, no zero_grad (gradients accumulate)",
    "dense": "d. dense defaults: 20 factors, hidden 64, Adam lr 0.003, weight decay 0.001, batches of 256, early stopping",
    "lstm": "e. lstm defaults: item embedding 64 + rating feedback, LSTM 128, windows of 10 from zero states, item and user biases, Adam lr 0.001, batches of 256, clip 5, early stopping",
    "lstm_article": "e. the article's LSTM: item ids only (no feedback, no biases), N(0,1) embedding, dropout 0.3, otherwise as above",
}
ORDER = ["defaults", "defaults_cap", "adam", "article", "verbatim", "dense", "lstm", "lstm_article"]


def med(xs):
    """Median of a non-empty list."""
    return statistics.median(xs)


def load(recsys_path, torch_path):
    """Runs grouped by (system, cfg, threads)."""
    runs = {}
    with open(recsys_path) as f:
        for line in f:
            c = line.rstrip("\n").split("\t")
            if len(c) < 9:
                continue
            runs.setdefault(("recsys", c[0], int(c[1])), []).append({
                "seconds": float(c[3]), "rmse": float(c[4]), "rmse01": float(c[5]),
                "epochs": int(c[6]), "best_epoch": int(c[7]), "core_seconds": float(c[8]),
            })
    with open(torch_path) as f:
        for line in f:
            d = json.loads(line)
            r = d["run"]
            runs.setdefault(("PyTorch", d["cfg"], d["threads"]), []).append({
                "seconds": r["train_seconds"], "rmse": r["rmse"],
                "rmse01": r["rmse"] / (r["rating_max"] - r["rating_min"]),
                "epochs": r["epochs"], "best_epoch": r["best_epoch"],
                "train_rows": r["train_rows"], "trace": r["trace"] or [],
                "rmse_unclipped": r["rmse_unclipped"],
            })
    return runs


def summary(rs):
    """Medians of a group of runs."""
    return {
        "n": len(rs),
        "seconds": med([r["seconds"] for r in rs]),
        "rmse": med([r["rmse"] for r in rs]),
        "rmse01": med([r["rmse01"] for r in rs]),
        "epochs": med([r["epochs"] for r in rs]),
        "best_epoch": med([r["best_epoch"] for r in rs]),
        "runs": rs,
    }


def time_to(runs, target):
    """Median over PyTorch runs of the training time at the first epoch whose
    u1.test RMSE is <= target (a run that never gets there counts with its
    whole loop); (seconds, number of runs that got there)."""
    ts = []
    reached = 0
    for r in runs:
        t = next((s for (_e, rm, _raw, s) in r["trace"] if rm <= target), None)
        if t is None:
            t = r["seconds"]
        else:
            reached += 1
        ts.append(t)
    return med(ts), reached


def fmt_s(x):
    """Seconds with three significant digits."""
    return "%.3g s" % x if x >= 0.001 else "%.2g ms" % (x * 1000)


def main():
    runs = load(sys.argv[1], sys.argv[2])
    rows = {k: summary(v) for k, v in runs.items()}
    train_rows = {}
    for (sysname, cfg, _t), v in runs.items():
        if sysname == "PyTorch":
            train_rows[cfg] = v[0]["train_rows"]
    train_rows.setdefault("defaults", train_rows.get("defaults_cap", 78400))

    out = []
    out.append("| configuration | system | threads | epochs (best) | RMSE, stars | RMSE, [0,1] | training wall time | time per epoch | ratings/s | PyTorch / recsys |")
    out.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for cfg in ORDER:
        for sysname in ("recsys", "PyTorch"):
            for threads in (1, 2):
                s = rows.get((sysname, cfg, threads))
                if s is None:
                    continue
                per_epoch = s["seconds"] / s["epochs"]
                rps = train_rows.get(cfg, 78400) * s["epochs"] / s["seconds"]
                ratio = ""
                if sysname == "recsys":
                    t = rows.get(("PyTorch", cfg, threads)) or rows.get(("PyTorch", cfg, 1))
                    if t is not None:
                        if cfg in ("lstm", "lstm_article"):
                            ratio = "%.1f× per epoch (%.1f× whole)" % ((t["seconds"] / t["epochs"]) / per_epoch,
                                                                     t["seconds"] / s["seconds"])
                        elif cfg in ("defaults_cap", "article"):
                            ratio = "%.0f× per epoch" % ((t["seconds"] / t["epochs"]) / per_epoch)
                        else:
                            ratio = "%.1f×" % (t["seconds"] / s["seconds"])
                elif cfg == "verbatim":
                    rc = rows.get(("recsys", "article", 1))
                    if rc is not None:
                        ratio = "%.0f× per epoch against recsys's c" % (per_epoch / (rc["seconds"] / rc["epochs"]))
                if sysname == "recsys" and cfg == "defaults":
                    ratio = "(PyTorch's per-rating loop not run to convergence: see the capped row; against b: see below)"
                reps = " (median of %d)" % s["n"] if s["n"] > 1 else ""
                wall = fmt_s(s["seconds"]) + reps
                if sysname == "recsys":
                    wall += ", whole call (training %s)" % fmt_s(med([r["core_seconds"] for r in s["runs"]]))
                else:
                    wall += ", training loop"
                out.append("| %s | %s | %d | %g (%g) | %.4f | %.4f | %s | %s | %s | %s |" % (
                    LABELS[cfg], sysname, threads, s["epochs"], s["best_epoch"], s["rmse"],
                    s["rmse01"], wall, fmt_s(per_epoch), "{:,.0f}".format(rps), ratio))

    # mf's target: recsys's whole call >= 10x faster than PyTorch's loop
    # at equal or better RMSE
    mf_cfgs = ("defaults", "defaults_cap", "adam", "article", "verbatim")
    has_mf = any(k[1] in mf_cfgs for k in rows)
    out.append("")
    if has_mf:
        out.append("Target for mf: recsys's whole `recsys_train` call at least %g× faster than PyTorch's training loop at equal or better RMSE." % TARGET)
        out.append("")

    def verdict(x, r_rmse, t_rmse):
        if x < TARGET:
            return "**missed**"
        if r_rmse > t_rmse + TOL:
            return "**missed** (recsys's RMSE is worse)"
        return "**met**"

    for threads in (1, 2):
        r = rows.get(("recsys", "adam", threads))
        t = rows.get(("PyTorch", "adam", threads))
        if r and t:
            x = t["seconds"] / r["seconds"]
            tt, reached = time_to(t["runs"], r["rmse"])
            out.append("- b, same options and stopping rule, %d thread%s: recsys %.4f after %g epochs in %s; "
                       "PyTorch %.4f after %g epochs in %s → **%.1f×**: %s. "
                       "(PyTorch reached recsys's RMSE in %d of %d runs; median time to it, the whole loop where not reached: %s, %.1f× recsys's whole call.)" % (
                           threads, "s" if threads > 1 else "", r["rmse"], r["epochs"], fmt_s(r["seconds"]),
                           t["rmse"], t["epochs"], fmt_s(t["seconds"]), x, verdict(x, r["rmse"], t["rmse"]),
                           reached, t["n"], fmt_s(tt), tt / r["seconds"]))
    for threads in (1, 2):
        r = rows.get(("recsys", "defaults", threads))
        t = rows.get(("PyTorch", "adam", threads))
        if r and t:
            tt, reached = time_to(t["runs"], r["rmse"])
            x = tt / r["seconds"]
            if reached == t["n"]:
                how = "reached that RMSE after"
            elif reached == 0:
                how = "never reached that RMSE (median %.4f); its whole loop took" % t["rmse"]
            else:
                how = ("reached that RMSE in %d of %d runs; median time to it, the whole loop where not reached:"
                       % (reached, t["n"]))
            out.append("- recsys defaults against PyTorch's tuned baseline b (early stopping differs), %d thread%s: recsys %.4f in %s; "
                       "PyTorch %s %s → **%.1f×**%s: %s." % (
                           threads, "s" if threads > 1 else "", r["rmse"], fmt_s(r["seconds"]),
                           how, fmt_s(tt), x, "" if reached == t["n"] else " (a lower bound)",
                           verdict(x, r["rmse"], t["rmse"])))
    for cfg, name in (("defaults_cap", "a, defaults, per-rating SGD, equal epochs"),
                      ("article", "c, the article, equal epochs")):
        r = rows.get(("recsys", cfg, 1))
        t = rows.get(("PyTorch", cfg, 1))
        if r and t:
            x = (t["seconds"] / t["epochs"]) / (r["seconds"] / r["epochs"])
            out.append("- %s, 1 thread: recsys %.4f, PyTorch %.4f after %g epochs; %s against %s per epoch → **%.0f×**: %s." % (
                name, r["rmse"], t["rmse"], t["epochs"], fmt_s(r["seconds"] / r["epochs"]),
                fmt_s(t["seconds"] / t["epochs"]), x, verdict(x, r["rmse"], t["rmse"])))
    for threads in (1, 2):
        r = rows.get(("recsys", "dense", threads))
        t = rows.get(("PyTorch", "dense", threads))
        if r and t:
            x = t["seconds"] / r["seconds"]
            ok = "**met**" if x >= DENSE_TARGET and r["rmse"] <= t["rmse"] + TOL else "**missed**"
            out.append("- d, dense, same options and stopping rule, %d thread%s: recsys %.4f after %g epochs in %s (whole call); "
                       "PyTorch %.4f after %g epochs in %s (training loop) → **%.1f×** (dense's target: %g× at equal or better RMSE): %s." % (
                           threads, "s" if threads > 1 else "", r["rmse"], r["epochs"], fmt_s(r["seconds"]),
                           t["rmse"], t["epochs"], fmt_s(t["seconds"]), x, DENSE_TARGET, ok))
    for cfg, name in (("lstm", "e, lstm defaults"), ("lstm_article", "e, the article's LSTM")):
        r = rows.get(("recsys", cfg, 1))
        t = rows.get(("PyTorch", cfg, 1))
        if r and t:
            x = (t["seconds"] / t["epochs"]) / (r["seconds"] / r["epochs"])
            ok = "**met**" if x >= LSTM_TARGET and r["rmse"] <= t["rmse"] + TOL else "**missed**"
            out.append("- %s, same options and stopping rule, 1 thread: recsys %.4f after %g epochs in %s (whole call, %s per epoch); "
                       "PyTorch %.4f after %g epochs in %s (training loop, %s per epoch) → **%.1f× per epoch** (lstm's target: %g× per epoch at equal or better RMSE): %s." % (
                           name, r["rmse"], r["epochs"], fmt_s(r["seconds"]), fmt_s(r["seconds"] / r["epochs"]),
                           t["rmse"], t["epochs"], fmt_s(t["seconds"]), fmt_s(t["seconds"] / t["epochs"]),
                           x, LSTM_TARGET, ok))
    out.append("")
    if not any(k[2] == 2 for k in rows):
        out.append("\"Equal or better RMSE\" allows recsys %.3f stars above PyTorch: the u1.test RMSE of one configuration "
                   "moves by about that much with the training seed (seeds are drawn differently in the two systems)." % TOL)
        out.append("")
        out.append("Notes:")
        out.append("- recsys's time is the whole `recsys_train('lstm', 'u1_base', ...)` call measured inside the server (reading the table with each user's "
                   "rows in time order, training, storing the model); PyTorch's time is its training loop alone (shuffles, steps, the serving-state pass "
                   "and validation RMSE of every epoch, keeping the best weights), not reading the files or building the sequences. Time per epoch = that time / epochs run.")
        out.append("- Both train on u1.base minus 2 % held out for early stopping (each system's own seeded shuffle), predict u1.test from each user's "
                   "state after its training history, clipped to the training range; RMSE on 1-5 stars and divided by (max − min) = 4 (the article's [0,1] scale).")
        out.append("- Both multiply in OpenBLAS 0.3.21 with one thread: recsys sets OpenBLAS's threads to recsys.threads while training; Debian's torch "
                   "(BLAS_INFO=generic) uses the system OpenBLAS, whose pool torch.set_num_threads does not size, so compare.sh sets OPENBLAS_NUM_THREADS "
                   "(without it a \"1-thread\" PyTorch lstm multiplies on both cores, about 25 % faster here).")
        out.append("- The article (\"PyTorch for Recommenders 101\") reports 0.43 on the [0,1] scale for its LSTM.")
        print("\n".join(out))
        return
    out.append("With 2 threads PyTorch's intra-op (OpenMP) threads slow its small minibatch steps down whenever the other core is busy, "
               "as it is on this shared machine (see the load above): the 1-thread lines are the fair comparison. "
               + ("recsys's mf at this commit trains on one thread whatever recsys.threads says (the multi-threaded SGD is a separate change), "
                  "so its 1- and 2-thread times differ only by noise." if not MF_THREADED else
                  "recsys's mf uses recsys.threads worker threads."))
    out.append("")
    out.append("\"Equal or better RMSE\" allows recsys %.3f stars above PyTorch: the u1.test RMSE of one configuration "
               "moves by about that much with the training seed (seeds are drawn differently in the two systems)." % TOL)

    art = rows.get(("PyTorch", "article", 1))
    out.append("")
    out.append("Notes:")
    out.append("- recsys's time is the whole `recsys_train('mf', 'u1_base', ...)` call measured inside the server (reading the table, training, storing the model); "
               "its time per epoch is that whole time divided by the epochs, so reading is charged to the epochs. "
               "PyTorch's time is its training loop alone (shuffles, steps, the validation RMSE of every epoch, keeping the best weights), not reading the files or building the model.")
    out.append("- Both train on the same rows (u1.base minus the same fraction held out for early stopping, drawn by each system's own seeded shuffle), "
               "evaluate on u1.test with predictions clipped to the training range, and report RMSE on the 1-5 stars and divided by (max − min) = 4 of the training ratings (the article's [0,1] scale).")
    out.append("- recsys's \"training\" in brackets is the model's own training time (its metrics' train_seconds: epochs, validation, no reading or storing).")
    out.append("- Ratings per second = training rows × epochs / training wall time.")
    out.append("- \"PyTorch / recsys\": PyTorch's training loop divided by recsys's whole call with the same options and thread count; "
               "for the capped per-rating rows and the article the ratio of the times per epoch. Where early stopping differs (recsys defaults against b) "
               "it is PyTorch's time to first reach recsys's u1.test RMSE (evaluated after every PyTorch epoch, outside its timing). No time is extrapolated.")
    out.append("- The PyTorch per-rating loops (a, c) make one forward, backward and optimizer step per rating, as the article does; they run once with one thread, the capped row for few epochs only (one epoch takes tens of seconds).")
    verb = rows.get(("PyTorch", "verbatim", 1))
    out.append("- The article (blog.fastforwardlabs.com, 2018-04-10, \"PyTorch for Recommenders 101\") publishes its loop: nn.Embedding(sparse=True) "
               "(N(0,1) init), 20 factors, no biases, nn.MSELoss, torch.optim.SGD(lr=1e-6), one step per rating in the order of ratings.nonzero(), "
               "and no optimizer.zero_grad(); on ratings scaled to [0,1] it reports a test RMSE of 0.66. The issue quotes 3.13 stars after 10 epochs and 28 s per epoch for it on this machine.")
    if verb:
        out.append("- That loop as published (row \"the article's code as published\", %g epoch%s, ratings in stars): %s per epoch; u1.test RMSE %.4g unclipped, %.4f clipped to 1-5. "
                   "Without zero_grad every step applies the sum of all gradients so far, so it is not plain SGD." % (
                       verb["epochs"], "" if verb["epochs"] == 1 else "s", fmt_s(verb["seconds"] / verb["epochs"]),
                       med([r["rmse_unclipped"] for r in verb["runs"]]), verb["rmse"]))
    if art:
        out.append("- Row c is the article's model trained by plain per-rating SGD (zero_grad added) with lr 0.01, our choice: with lr 1e-6 the N(0,1) "
                   "initial weights barely move (a step changes a weight by about 1e-6 × 2e, around 1e-5). recsys runs the same model and update (its learning_rate 0.02, since MSELoss's gradient is 2e). "
                   "PyTorch: %s per epoch, u1.test RMSE %.4f clipped and %.4f unclipped after %g epochs." % (
                       fmt_s(art["seconds"] / art["epochs"]), art["rmse"], med([r["rmse_unclipped"] for r in art["runs"]]), art["epochs"]))
    print("\n".join(out))


if __name__ == "__main__":
    main()
