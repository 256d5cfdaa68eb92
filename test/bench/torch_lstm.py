#!/usr/bin/python3
"""torch_lstm.py: a PyTorch (CPU) reference of recsys's lstm kind, for
test/bench/compare.sh, temporal.sh and the tuning of its defaults.

The model, windows, initialisation, loss, optimizer, validation hold-out,
serving state and early stopping follow src/core/lstm.c and
src/core/model.c (the spec), written the way a PyTorch user would
write them:
  * a user's training rows sorted by (time, item id) are steps t = 0..L-1;
    the input of step t is x_t = [E[i_t] ; f_t ; m_t] with feedback, else
    E[i_t]: f_t = (r_{t-1} - mu) / s, m_t = (mean(r_0..r_{t-1}) - mu) / s,
    both 0 at the user's first step (mu: mean training rating, s: max - min
    of the training ratings, 1 if 0);
  * nn.LSTM(D, hidden) -> Dropout -> nn.Linear(hidden, 1), plus mu, plus a
    learned bias per item and per user (--no-biases: none);
  * init: nn.Embedding from N(0, init_std^2), nn.LSTM's and nn.Linear's
    defaults, biases zero;
  * windows of seq_len steps cut from each user's start, the last one padded
    at the end and masked out of the loss (the mean over the real steps);
  * carry state (--carry): users sorted by their number of windows, most
    first (random order among equal counts, redrawn every epoch), in groups
    of batch_size users; a step is one window index of one group (the
    group's users that still have a window there), the state at a window's
    end (detached) starting the user's next window; the groups' steps are
    interleaved at random, in order within a group.  Without carry every
    window is a sample from a zero state, shuffled, batch_size per step;
  * torch.optim.Adam (or SGD) with weight_decay over dense gradients of every
    weight, clip_grad_norm_ (clip_norm, 0 = off) before each step;
  * after every epoch (timed, as in recsys) a forward pass without dropout
    computes each user's serving state: its whole history from zeros with
    carry, else its last min(L, seq_len - 1) steps; kept with the state: the
    feedback of the user's last rating and of the mean of all its ratings;
  * a prediction is one LSTM step from that state with x = [E[i] ; f ; m]
    (unknown user: zero state and feedback, no user bias; unknown item: zero
    embedding and bias), clipped to the training ratings' range;
  * a seeded validation_fraction of the training rows is held out before the
    sequences are built; training stops after `patience` epochs without a
    relative gain of more than 1e-4 and keeps the best epoch's weights and
    states.
The article's model ("PyTorch for Recommenders 101") as published-style
options: --no-feedback --no-biases --init-std 1 (and --dropout 0.3
--batch-size 256), without --carry.

Evaluation set: --split's .test file (or --test FILE); with --holdout F a
seeded fraction F of the training file is held out instead and u1.test is
not read (for tuning defaults).  Only the training loop is timed.  Prints
one JSON object in the format of torch_mf.py (compare_table.py reads it).
"""
import argparse
import json
import math
import os
import sys
import time


def _threads_arg(argv):
    """The value of --threads in argv (1 when absent)."""
    for k, x in enumerate(argv):
        if x == "--threads" and k + 1 < len(argv):
            return argv[k + 1]
        if x.startswith("--threads="):
            return x.split("=", 1)[1]
    return "1"


# Debian's torch does its matrix products in OpenBLAS (BLAS_INFO=generic),
# whose own thread pool torch.set_num_threads does not size: without this
# a "1-thread" run multiplies on every core.  Set before OpenBLAS loads.
os.environ["OPENBLAS_NUM_THREADS"] = _threads_arg(sys.argv[1:])

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

MIN_IMPROVEMENT = 1e-4  # as RS_MIN_IMPROVEMENT in src/core/model.c


def load(path):
    """user, item, rating, time columns of a MovieLens u.data-style file."""
    a = np.loadtxt(path, dtype=np.int64, usecols=(0, 1, 2, 3))
    return a[:, 0], a[:, 1], a[:, 2].astype(np.float32), a[:, 3].astype(np.float64)


class Seq:
    """The training rows as per-user sequences and their windows."""

    def __init__(self, u, i, r, t, n_users, T, mu, s):
        # rows by user, then time, then item (item index order = id order)
        order = np.lexsort((i, t, u))
        u, i, r = u[order], i[order], r[order]
        self.n = len(r)
        counts = np.bincount(u, minlength=n_users)
        off = np.zeros(n_users + 1, dtype=np.int64)
        off[1:] = np.cumsum(counts)
        self.off, self.counts = off, counts
        # feedback of every step: previous rating and mean of the earlier ones
        pos = np.arange(self.n) - off[u]           # step index within the user
        csum = np.cumsum(r.astype(np.float64))
        before = csum - r - np.where(off[u] > 0, csum[off[u] - 1], 0.0)
        prev = np.concatenate([[0.0], r[:-1]]).astype(np.float64)
        f = np.where(pos > 0, (prev - mu) / s, 0.0)
        m = np.where(pos > 0, (before / np.maximum(pos, 1) - mu) / s, 0.0)
        self.items = torch.from_numpy(i)
        self.ratings = torch.from_numpy(r)
        self.fb = torch.from_numpy(np.stack([f, m], 1).astype(np.float32))
        self.user = u
        # windows: user, first step; consecutive from each user's start
        nw = (counts + T - 1) // T
        self.n_windows = nw
        self.first_win = np.zeros(n_users + 1, dtype=np.int64)
        self.first_win[1:] = np.cumsum(nw)
        wu = np.repeat(np.arange(n_users), nw)
        wk = np.arange(len(wu)) - self.first_win[wu]
        start = off[wu] + wk * T                     # global row of step 0
        length = np.minimum(T, off[wu + 1] - start)
        idx = start[:, None] + np.arange(T)[None, :]
        mask = np.arange(T)[None, :] < length[:, None]
        idx = torch.from_numpy(np.where(mask, idx, 0))
        self.w_user = torch.from_numpy(wu)
        self.w_len = torch.from_numpy(length)
        self.w_items = self.items[idx] * torch.from_numpy(mask)
        self.w_fb = self.fb[idx] * torch.from_numpy(mask)[:, :, None]
        self.w_target = self.ratings[idx] * torch.from_numpy(mask)
        self.w_mask = torch.from_numpy(mask.astype(np.float32))
        self.n_win = len(wu)
        # serving: each user's last rating and mean of all its ratings
        last = np.zeros(n_users, dtype=np.float64)
        mean = np.zeros(n_users, dtype=np.float64)
        has = counts > 0
        last[has] = r[off[1:][has] - 1]
        tot = np.add.reduceat(r.astype(np.float64), off[:-1][has]) if has.any() else []
        mean[has] = np.asarray(tot) / counts[has]
        sf = np.zeros((n_users, 2), dtype=np.float32)
        sf[has, 0] = (last[has] - mu) / s
        sf[has, 1] = (mean[has] - mu) / s
        self.state_f = torch.from_numpy(sf)


class LSTMRec(nn.Module):
    """Item embedding (and rating feedback) -> LSTM -> Linear, a rating per step."""

    def __init__(self, n_users, n_items, E, H, feedback, dropout, biases,
                 init_std, mu):
        super().__init__()
        self.feedback = feedback
        self.item_embedding = nn.Embedding(n_items, E)
        nn.init.normal_(self.item_embedding.weight, 0.0, init_std)
        self.lstm = nn.LSTM(E + (2 if feedback else 0), H, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(H, 1)
        self.biases = biases
        if biases:
            self.item_bias = nn.Embedding(n_items, 1)
            self.user_bias = nn.Embedding(n_users, 1)
            nn.init.zeros_(self.item_bias.weight)
            nn.init.zeros_(self.user_bias.weight)
        self.mu = mu

    def inputs(self, items, fb):
        """x of (B, T) items and (B, T, 2) feedback; item -1 is unknown."""
        known = (items >= 0).float().unsqueeze(-1)
        x = self.item_embedding(items.clamp(min=0)) * known
        if self.feedback:
            x = torch.cat([x, fb], -1)
        return x

    def head(self, h, items, users):
        """Ratings from LSTM outputs h (B, T, H); users (B,) of -1 unknown."""
        y = self.out(self.drop(h)).squeeze(-1) + self.mu
        if self.biases:
            ki = (items >= 0).float()
            ku = (users >= 0).float()
            y = y + self.item_bias(items.clamp(min=0)).squeeze(-1) * ki \
                + (self.user_bias(users.clamp(min=0)).squeeze(-1) * ku).unsqueeze(1)
        return y

    def run(self, items, fb, lengths=None, state=None):
        """LSTM over (B, T) windows; with lengths (some < T) packed, so that
        the returned (h, c) are those after each window's last real step."""
        x = self.inputs(items, fb)
        if lengths is None:
            out, (h, c) = self.lstm(x, state)
        else:
            packed = pack_padded_sequence(x, lengths, batch_first=True,
                                          enforce_sorted=False)
            out_p, (h, c) = self.lstm(packed, state)
            out = None
            if self.training:
                out = nn.utils.rnn.pad_packed_sequence(
                    out_p, batch_first=True, total_length=items.shape[1])[0]
        return out, h, c


def serving_states(model, sq, n_users, H, T, carry):
    """Each user's (h, c) after its training history (carry: all of it;
    else its last min(L, T - 1) steps), from a zero state, no dropout."""
    sh = torch.zeros(n_users, H)
    sc = torch.zeros(n_users, H)
    counts = sq.counts
    keep = counts if carry else np.minimum(counts, T - 1)
    users = np.nonzero(keep > 0)[0]
    if len(users) == 0:
        return sh, sc
    kl = keep[users]
    L = int(kl.max())
    start = sq.off[users + 1] - kl
    idx = start[:, None] + np.arange(L)[None, :]
    mask = np.arange(L)[None, :] < kl[:, None]
    idx = torch.from_numpy(np.where(mask, idx, 0))
    items = sq.items[idx]
    fb = sq.fb[idx]
    was = model.training
    model.eval()
    with torch.no_grad():
        _, h, c = model.run(items, fb, torch.from_numpy(kl), None)
    model.train(was)
    ut = torch.from_numpy(users)
    sh[ut] = h[0]
    sc[ut] = c[0]
    return sh, sc


def predict(model, sh, sc, sf, u, i, lo, hi):
    """Clipped and raw predictions: one step from the users' states."""
    was = model.training
    model.eval()
    with torch.no_grad():
        ku = (u >= 0)
        uu = u.clamp(min=0)
        h0 = (sh[uu] * ku.float().unsqueeze(1)).unsqueeze(0)
        c0 = (sc[uu] * ku.float().unsqueeze(1)).unsqueeze(0)
        fb = (sf[uu] * ku.float().unsqueeze(1)).unsqueeze(1)
        out, _, _ = model.run(i.unsqueeze(1), fb, None, (h0.contiguous(), c0.contiguous()))
        raw = model.head(out, i.unsqueeze(1), u).squeeze(1)
    model.train(was)
    return raw.clamp(lo, hi), raw


def predict_next(model, hist_items, hist_ratings, T, mu, s, q_items, lo, hi):
    """recsys's history form (lstm_score_history): for each query, its
    history's newest T known items (oldest first) from a zero state, the
    feedback within the kept history only, then the query step; no user
    bias; an empty history is an unknown user.  hist_*: lists of arrays."""
    N = len(q_items)
    lens = np.array([min(len(h), T) for h in hist_items], dtype=np.int64)
    L = max(1, int(lens.max()) if N else 1)
    items = np.zeros((N, L), dtype=np.int64)
    fb = np.zeros((N, L, 2), dtype=np.float32)
    qf = np.zeros((N, 2), dtype=np.float32)
    for n in range(N):
        k = lens[n]
        if k == 0:
            continue
        it = hist_items[n][-k:]
        r = hist_ratings[n][-k:].astype(np.float64)
        items[n, :k] = it
        cs = np.cumsum(r)
        fb[n, 1:k, 0] = (r[:-1] - mu) / s
        fb[n, 1:k, 1] = (cs[:-1] / np.arange(1, k) - mu) / s
        qf[n, 0] = (r[-1] - mu) / s
        qf[n, 1] = (cs[-1] / k - mu) / s
    H = model.lstm.hidden_size
    h0 = torch.zeros(1, N, H)
    c0 = torch.zeros(1, N, H)
    was = model.training
    model.eval()
    with torch.no_grad():
        has = np.nonzero(lens > 0)[0]
        if len(has):
            ht = torch.from_numpy(has)
            _, h, c = model.run(torch.from_numpy(items)[ht], torch.from_numpy(fb)[ht],
                                torch.from_numpy(lens[has]), None)
            h0[0, ht] = h[0]
            c0[0, ht] = c[0]
        q = torch.from_numpy(np.asarray(q_items, dtype=np.int64))
        out, _, _ = model.run(q.unsqueeze(1), torch.from_numpy(qf).unsqueeze(1), None, (h0, c0))
        raw = model.head(out, q.unsqueeze(1), torch.full((N,), -1, dtype=torch.int64)).squeeze(1)
    model.train(was)
    return raw.clamp(lo, hi), raw


def rmse(pred, r):
    """Root mean squared error."""
    return math.sqrt(float(((pred.double() - r.double()) ** 2).mean()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", help="MovieLens-100K folder (with --split)")
    ap.add_argument("--split", default="u1")
    ap.add_argument("--train", help="training file (default DATA/SPLIT.base)")
    ap.add_argument("--test", help="evaluation file (default DATA/SPLIT.test)")
    ap.add_argument("--holdout", type=float, default=0.0,
                    help="evaluate on this seeded fraction of the training file "
                    "instead of the test file (tuning)")
    ap.add_argument("--split-seed", type=int, default=1)
    # the defaults are recsys's lstm defaults (src/core/lstm.c)
    ap.add_argument("--factors", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--seq-len", type=int, default=10)
    ap.add_argument("--feedback", dest="feedback", action="store_true", default=True)
    ap.add_argument("--no-feedback", dest="feedback", action="store_false")
    ap.add_argument("--carry", dest="carry", action="store_true", default=False)
    ap.add_argument("--no-carry", dest="carry", action="store_false")
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--learning-rate", type=float, default=0.001)
    ap.add_argument("--optimizer", choices=("sgd", "adam"), default="adam")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--clip-norm", type=float, default=5.0)
    ap.add_argument("--validation-fraction", type=float, default=0.02)
    ap.add_argument("--patience", type=int, default=4)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--no-biases", action="store_true")
    ap.add_argument("--init-std", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--eval-next", action="store_true",
                    help="also evaluate with recsys's history form: each test rating "
                    "predicted from the user's newest seq_len ratings before it (training "
                    "and earlier test rows, by time then item), from a zero state")
    ap.add_argument("--next-keep", type=int, default=0,
                    help="with --eval-next, keep this many newest steps (default seq_len, "
                    "as recsys; seq_len - 1 is what the serving state of a known user uses)")
    ap.add_argument("--trace", action="store_true",
                    help="record the evaluation RMSE after every epoch, untimed")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    T, H = a.seq_len, a.hidden

    train_path = a.train or os.path.join(a.data, a.split + ".base")
    bu_, bi_, br_, bt_ = load(train_path)
    if a.holdout > 0:
        rs = np.random.RandomState(a.split_seed)
        p = rs.permutation(len(br_))
        n_ho = int(math.floor(len(br_) * a.holdout))
        ho, keep = p[:n_ho], p[n_ho:]
        tu_, ti_, tr_, tt_ = bu_[ho], bi_[ho], br_[ho], bt_[ho]
        bu_, bi_, br_, bt_ = bu_[keep], bi_[keep], br_[keep], bt_[keep]
        eval_set = "holdout %g of %s (split seed %d)" % (a.holdout, os.path.basename(train_path), a.split_seed)
    else:
        test_path = a.test or os.path.join(a.data, a.split + ".test")
        tu_, ti_, tr_, tt_ = load(test_path)
        eval_set = os.path.basename(test_path)
    uids, users = np.unique(bu_, return_inverse=True)
    iids, items = np.unique(bi_, return_inverse=True)
    n_users, n_items = len(uids), len(iids)
    uidx = {int(x): n for n, x in enumerate(uids)}
    iidx = {int(x): n for n, x in enumerate(iids)}
    test_u = torch.tensor([uidx.get(int(x), -1) for x in tu_], dtype=torch.int64)
    test_i = torch.tensor([iidx.get(int(x), -1) for x in ti_], dtype=torch.int64)
    test_r = torch.from_numpy(tr_)

    # the early-stopping hold-out, before the sequences are built
    n = len(br_)
    perm = torch.randperm(n, generator=gen).numpy()
    n_val = min(int(math.floor(n * a.validation_fraction)), n - 1)
    tr, va = perm[: n - n_val], perm[n - n_val:]
    r_tr = br_[tr]
    mu = float(r_tr.astype(np.float64).mean())
    lo, hi = float(r_tr.min()), float(r_tr.max())
    s = hi - lo if hi > lo else 1.0
    sq = Seq(users[tr], items[tr], r_tr, bt_[tr], n_users, T, mu, s)
    vu = torch.from_numpy(users[va].astype(np.int64))
    vi = torch.from_numpy(items[va].astype(np.int64))
    vr = torch.from_numpy(br_[va])

    model = LSTMRec(n_users, n_items, a.factors, H, a.feedback, a.dropout,
                    not a.no_biases, a.init_std, mu)
    params = list(model.parameters())
    if a.optimizer == "adam":
        opt = torch.optim.Adam(params, lr=a.learning_rate, weight_decay=a.weight_decay)
    else:
        opt = torch.optim.SGD(params, lr=a.learning_rate, weight_decay=a.weight_decay)

    bs = a.batch_size
    lane_h = torch.zeros(n_users, H)
    lane_c = torch.zeros(n_users, H)
    nw = torch.from_numpy(sq.n_windows)
    first_win = torch.from_numpy(sq.first_win)

    def step(widx, state):
        """One optimizer step on windows widx; returns the final states."""
        lens = sq.w_len[widx]
        its = sq.w_items[widx]
        # packed only where a carried state must stop at a short window's end
        full = not a.carry or bool((lens == T).all())
        out, h, c = model.run(its, sq.w_fb[widx], None if full else lens, state)
        y = model.head(out, its, sq.w_user[widx])
        mask = sq.w_mask[widx]
        loss = (((y - sq.w_target[widx]) ** 2) * mask).sum() / mask.sum()
        opt.zero_grad()
        loss.backward()
        if a.clip_norm > 0:
            nn.utils.clip_grad_norm_(params, a.clip_norm)
        opt.step()
        return h, c

    best_rmse = math.inf
    patience_ref = math.inf
    bad = 0
    best_epoch = 0
    best_state = None
    train_s = 0.0
    epochs_run = 0
    trace = []
    sh = sc = None
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        if a.carry:
            # users by number of windows, most first, ties at random
            tie = torch.rand(n_users, generator=gen)
            order = np.lexsort((tie.numpy(), -sq.n_windows))
            order_t = torch.from_numpy(order)
            n_groups = (n_users + bs - 1) // bs
            sched = np.repeat(np.arange(n_groups),
                              sq.n_windows[order[np.arange(n_groups) * bs]])
            sched = sched[torch.randperm(len(sched), generator=gen).numpy()]
            nxt = np.zeros(n_groups, dtype=np.int64)
            for g in sched:
                w = int(nxt[g])
                nxt[g] += 1
                grp = order_t[g * bs: (g + 1) * bs]
                grp = grp[nw[grp] > w]
                widx = first_win[grp] + w
                state = None
                if w > 0:
                    state = (lane_h[grp].unsqueeze(0), lane_c[grp].unsqueeze(0))
                h, c = step(widx, state)
                lane_h[grp] = h[0].detach()
                lane_c[grp] = c[0].detach()
        else:
            order = torch.randperm(sq.n_win, generator=gen)
            for st in range(0, sq.n_win, bs):
                step(order[st: st + bs], None)
        sh, sc = serving_states(model, sq, n_users, H, T, a.carry)
        epochs_run = epoch
        stop = False
        if n_val > 0:
            v = rmse(predict(model, sh, sc, sq.state_f, vu, vi, lo, hi)[0], vr)
            if v < patience_ref * (1.0 - MIN_IMPROVEMENT):
                patience_ref = v
                bad = 0
            else:
                bad += 1
            if v < best_rmse:
                best_rmse = v
                best_epoch = epoch
                best_state = ({kk: t.clone() for kk, t in model.state_dict().items()},
                              sh.clone(), sc.clone())
            stop = bad >= a.patience
        else:
            best_epoch = epoch
        train_s += time.perf_counter() - t0
        if a.trace:
            cl, w_ = predict(model, sh, sc, sq.state_f, test_u, test_i, lo, hi)
            trace.append([epoch, round(rmse(cl, test_r), 4), round(rmse(w_, test_r), 4),
                          round(train_s, 3)])
        if stop:
            break
    t0 = time.perf_counter()
    if best_state is not None and best_epoch != epochs_run:
        model.load_state_dict(best_state[0])
        sh, sc = best_state[1], best_state[2]
    train_s += time.perf_counter() - t0

    clipped, raw = predict(model, sh, sc, sq.state_f, test_u, test_i, lo, hi)
    next_rmse = None
    if a.eval_next:
        # every row of both files by user, time, item; a test row's history
        # is its user's known items before it
        au = np.concatenate([bu_, tu_])
        ai = np.concatenate([bi_, ti_])
        ar = np.concatenate([br_, tr_])
        at = np.concatenate([bt_, tt_])
        is_test = np.concatenate([np.zeros(len(bu_), bool), np.ones(len(tu_), bool)])
        test_row = np.concatenate([np.full(len(bu_), -1), np.arange(len(tu_))])
        o = np.lexsort((ai, at, au))
        hist_i, hist_r = [None] * len(tu_), [None] * len(tu_)
        cur_u, seq_i, seq_r = None, [], []
        for j in o:
            if au[j] != cur_u:
                cur_u, seq_i, seq_r = au[j], [], []
            if is_test[j]:
                n_ = test_row[j]
                hist_i[n_] = np.array(seq_i[-a.seq_len:], dtype=np.int64)
                hist_r[n_] = np.array(seq_r[-a.seq_len:], dtype=np.float32)
            k = iidx.get(int(ai[j]), -1)
            if k >= 0:
                seq_i.append(k)
                seq_r.append(ar[j])
        qi = [iidx.get(int(x), -1) for x in ti_]
        nc, _ = predict_next(model, hist_i, hist_r, a.next_keep or T, mu, s, qi, lo, hi)
        next_rmse = rmse(nc, test_r)
    print(json.dumps({
        "rmse": rmse(clipped, test_r),
        "rmse_unclipped": rmse(raw, test_r),
        "rmse_next": next_rmse,
        "eval_set": eval_set,
        "n_test": len(test_r),
        "epochs": epochs_run,
        "best_epoch": best_epoch,
        "val_rmse": best_rmse if n_val > 0 else None,
        "train_rows": sq.n,
        "windows": sq.n_win,
        "rating_min": lo,
        "rating_max": hi,
        "train_seconds": train_s,
        "seconds_per_epoch": train_s / epochs_run,
        "threads": torch.get_num_threads(),
        "openblas_threads": int(os.environ["OPENBLAS_NUM_THREADS"]),
        "torch": torch.__version__,
        "options": {"factors": a.factors, "hidden": H, "seq_len": T,
                    "feedback": a.feedback, "carry_state": a.carry,
                    "dropout": a.dropout, "learning_rate": a.learning_rate,
                    "batch_size": bs, "optimizer": a.optimizer,
                    "weight_decay": a.weight_decay, "clip_norm": a.clip_norm,
                    "biases": not a.no_biases, "init_std": a.init_std,
                    "validation_fraction": a.validation_fraction,
                    "patience": a.patience, "seed": a.seed},
        "target_rmse": None,
        "seconds_to_target": None,
        "epoch_to_target": None,
        "trace": trace if a.trace else None,
    }))


if __name__ == "__main__":
    main()
