#!/usr/bin/env python3
"""ease.py: EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse
Data", WWW 2019) on MovieLens-style TSV files (user, item, rating[, time]),
scored with the protocol of recsys_evaluate_ranking (src/core/metrics.h), so
its figures sit beside the extension's in test/bench/ranking.sh.

  X = binary user x item matrix of the training rows (every row, any rating)
  G = X'X + lambda I,  P = G^-1,  B = -P / diag(P) (column-wise), diag(B) = 0
  scores = X B

Protocol: the users with at least one relevant test row (rating >=
relevant_min); candidates are the training data's items less the user's
training items; relevant items the training data lacks count but cannot be
hit; the list is the top k by score, ties to the lower item index (items are
indexed by ascending id, as in the extension); binary gains, NDCG over the
ideal DCG of min(relevant, k) hits, AP@k over min(relevant, k); coverage =
distinct listed items / training items.  --popularity ranks by training row
count instead, the extension's popularity kind, as a cross-check.

Prints one line: users hit_rate precision recall ndcg map coverage seconds
(seconds: building X through B, or the counts for --popularity).
Needs numpy only (Debian python3-numpy).
"""
import argparse
import time

import numpy as np


def read_tsv(path):
    """(user, item, rating) columns of a TSV file as arrays"""
    a = np.loadtxt(path, delimiter="\t", usecols=(0, 1, 2), ndmin=2)
    return a[:, 0].astype(np.int64), a[:, 1].astype(np.int64), a[:, 2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--lambda", dest="lam", type=float, default=250.0)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--relevant-min", type=float, default=4.0)
    ap.add_argument("--popularity", action="store_true",
                    help="most-rated items instead of EASE")
    args = ap.parse_args()

    tu, ti, _ = read_tsv(args.train)
    su, si, sr = read_tsv(args.test)
    users, uidx = np.unique(tu, return_inverse=True)
    items, iidx = np.unique(ti, return_inverse=True)   # ascending ids
    n_items = len(items)

    t0 = time.perf_counter()
    X = np.zeros((len(users), n_items))
    X[uidx, iidx] = 1.0                                 # a repeated pair is one 1
    if args.popularity:
        # every training row counts, repeated pairs too (as the kind does)
        count = np.bincount(iidx, minlength=n_items).astype(np.float64)
    else:
        G = X.T @ X
        G[np.diag_indices(n_items)] += args.lam
        P = np.linalg.inv(G)
        B = P / -np.diag(P)
        B[np.diag_indices(n_items)] = 0.0
    seconds = time.perf_counter() - t0

    # relevant test items per user, in training-item indexes (-1: unknown)
    rel = {}
    for u, i, r in zip(su, si, sr):
        if r >= args.relevant_min:
            rel.setdefault(int(u), set()).add(int(i))
    item_pos = {int(it): j for j, it in enumerate(items)}
    user_pos = {int(u): j for j, u in enumerate(users)}

    k = min(args.k, n_items)
    disc = 1.0 / np.log2(np.arange(k) + 2.0)
    listed = np.zeros(n_items, dtype=bool)
    hits_any = prec = recall = ndcg = mapk = 0.0
    for u in sorted(rel):
        relevant = rel[u]
        rel_idx = {item_pos.get(i, -1) for i in relevant}
        row = user_pos.get(u)
        if row is None:                                 # a user unknown to training
            x = np.zeros(n_items)
            scores = count.copy() if args.popularity else np.zeros(n_items)
        else:
            x = X[row]
            scores = count.copy() if args.popularity else x @ B
        scores[x > 0] = -np.inf                         # leave training items out
        # best first; a stable sort on -score keeps ties in index order
        order = np.argsort(-scores, kind="stable")
        top = [j for j in order[:k] if scores[j] != -np.inf]
        listed[top] = True
        hit = np.array([j in rel_idx for j in top], dtype=bool)
        n_hit = int(hit.sum())
        ideal = min(len(relevant), k)
        hits_any += n_hit > 0
        prec += n_hit / k
        recall += n_hit / len(relevant)
        ndcg += float(disc[:len(top)][hit].sum()) / float(disc[:ideal].sum())
        ranks = np.flatnonzero(hit) + 1
        mapk += float((np.arange(1, n_hit + 1) / ranks).sum()) / ideal

    n = len(rel)
    print("%d %.9f %.9f %.9f %.9f %.9f %.9f %.3f" % (
        n, hits_any / n, prec / n, recall / n, ndcg / n, mapk / n,
        listed.sum() / n_items, seconds))


if __name__ == "__main__":
    main()
