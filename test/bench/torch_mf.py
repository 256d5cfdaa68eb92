#!/usr/bin/python3
"""torch_mf.py: a PyTorch (CPU) reference of recsys's mf kind, for
test/bench/compare.sh.

The model, initialisation, loss, optimizers, learning-rate schedule,
validation hold-out and early stopping follow src/core/mf.c and
src/core/model.c, written the way a PyTorch user would write them:

  rhat(u, i) = mu + b_u + b_i + p_u . q_i      (plain p_u . q_i without biases)

  * p, q: nn.Embedding(sparse=True) drawn from N(0, init_std^2); biases zero;
    mu is the mean of the training ratings, a constant (not trained).
  * loss of a batch of B ratings (B = 1 is per-rating SGD):
      mean over the batch of  0.5 e^2 + 0.5 l2 (|p_u|^2 + |q_i|^2)
                                       + 0.5 bias_l2 (b_u^2 + b_i^2)
    so its gradient is recsys's update (Funk 2006) exactly; with
    --loss mse it is nn.MSELoss() of the article instead (gradient 2e).
  * optimizer torch.optim.SGD or torch.optim.SparseAdam (lazy Adam, as recsys),
    learning rate times lr_decay after every epoch (ExponentialLR).
  * rows reshuffled every epoch; a seeded validation_fraction of u1.base is
    held out; training stops after `patience` epochs without a relative gain of
    more than 1e-4 and keeps the best epoch's weights.
  * predictions are clipped to the training ratings' range, as recsys does;
    unknown users/items fall back to mu + b_i / mu + b_u / mu.

Only the training loop is timed (shuffles, steps, the per-epoch validation
RMSE and the best-weights snapshot); reading the files and building the model
are not.  With --target-rmse T it also evaluates u1.test after every epoch
(outside the timed part) and reports the training time at the first epoch
whose test RMSE is <= T.  Prints one JSON object.
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
from torch import nn

MIN_IMPROVEMENT = 1e-4  # as RS_MIN_IMPROVEMENT in src/core/model.c


class MF(nn.Module):
    """Biased matrix factorization, or the plain dot product without biases."""

    def __init__(self, n_users, n_items, k, biases, init_std, mu):
        super().__init__()
        self.user_factors = nn.Embedding(n_users, k, sparse=True)
        self.item_factors = nn.Embedding(n_items, k, sparse=True)
        nn.init.normal_(self.user_factors.weight, 0.0, init_std)
        nn.init.normal_(self.item_factors.weight, 0.0, init_std)
        self.biases = biases
        if biases:
            self.user_bias = nn.Embedding(n_users, 1, sparse=True)
            self.item_bias = nn.Embedding(n_items, 1, sparse=True)
            nn.init.zeros_(self.user_bias.weight)
            nn.init.zeros_(self.item_bias.weight)
        self.register_buffer("mu", torch.tensor(mu if biases else 0.0))
        self.fallback = mu  # the prediction for unknown users and items

    def forward(self, u, i):
        """Predictions and the terms the regularisation needs."""
        pu = self.user_factors(u)
        qi = self.item_factors(i)
        pred = (pu * qi).sum(1)
        if not self.biases:
            return pred, pu, qi, None, None
        bu = self.user_bias(u).squeeze(1)
        bi = self.item_bias(i).squeeze(1)
        return self.mu + bu + bi + pred, pu, qi, bu, bi


def load(path):
    """user, item, rating columns of a MovieLens u?.base / u?.test file."""
    a = np.loadtxt(path, dtype=np.int64, usecols=(0, 1, 2))
    return a[:, 0], a[:, 1], a[:, 2].astype(np.float32)


def predict_all(model, u, i, lo, hi):
    """Clipped and raw predictions; u or i of -1 is unknown (cold start)."""
    with torch.no_grad():
        known = (u >= 0) & (i >= 0)
        raw = torch.full(u.shape, model.fallback)
        raw[known] = model(u[known], i[known])[0]
        if model.biases:
            ou = (u >= 0) & (i < 0)
            oi = (u < 0) & (i >= 0)
            raw[ou] = model.mu + model.user_bias.weight[u[ou], 0]
            raw[oi] = model.mu + model.item_bias.weight[i[oi], 0]
        return raw.clamp(lo, hi), raw


def rmse(pred, r):
    """Root mean squared error."""
    return math.sqrt(float(((pred - r) ** 2).mean()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="MovieLens-100K folder")
    ap.add_argument("--split", default="u1")
    ap.add_argument("--factors", type=int, default=100)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--learning-rate", type=float, default=0.1)
    ap.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd")
    ap.add_argument("--batch-size", type=int, default=1)
    ap.add_argument("--l2", type=float, default=0.07)
    ap.add_argument("--bias-l2", type=float, default=0.01)
    ap.add_argument("--lr-decay", type=float, default=0.8)
    ap.add_argument("--validation-fraction", type=float, default=0.02)
    ap.add_argument("--patience", type=int, default=3)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--no-biases", action="store_true")
    ap.add_argument("--init-std", type=float, default=0.01)
    ap.add_argument("--loss", choices=("half", "mse"), default="half",
                    help="half: 0.5 e^2 + L2 terms (recsys); mse: nn.MSELoss() (the article)")
    ap.add_argument("--verbatim", action="store_true",
                    help="the article's published loop: rows in (user, item) order, tensors built per "
                         "rating, no optimizer.zero_grad() (so gradients accumulate), no shuffle")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--target-rmse", type=float, default=None)
    ap.add_argument("--trace", action="store_true",
                    help="record u1.test RMSE (clipped, unclipped) after every epoch, untimed")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)

    bu_, bi_, br_ = load(os.path.join(a.data, a.split + ".base"))
    tu_, ti_, tr_ = load(os.path.join(a.data, a.split + ".test"))
    uids, users = np.unique(bu_, return_inverse=True)
    iids, items = np.unique(bi_, return_inverse=True)
    uidx = {int(x): n for n, x in enumerate(uids)}
    iidx = {int(x): n for n, x in enumerate(iids)}
    users = torch.from_numpy(users.astype(np.int64))
    items = torch.from_numpy(items.astype(np.int64))
    ratings = torch.from_numpy(br_)
    test_u = torch.tensor([uidx.get(int(x), -1) for x in tu_])
    test_i = torch.tensor([iidx.get(int(x), -1) for x in ti_])
    test_r = torch.from_numpy(tr_)

    # seeded hold-out of the last validation_fraction rows of a shuffle
    n = len(ratings)
    perm = torch.randperm(n, generator=gen)
    n_val = min(int(math.floor(n * a.validation_fraction)), n - 1)
    tr, va = perm[: n - n_val], perm[n - n_val:]
    u, i, r = users[tr], items[tr], ratings[tr]
    vu, vi, vr = users[va], items[va], ratings[va]
    n_train = len(r)
    mu = float(r.double().mean())
    lo, hi = float(r.min()), float(r.max())

    biases = not a.no_biases
    model = MF(len(uids), len(iids), a.factors, biases, a.init_std, mu)
    if a.optimizer == "adam":
        opt = torch.optim.SparseAdam(list(model.parameters()), lr=a.learning_rate)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=a.learning_rate)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=a.lr_decay)
    mse = nn.MSELoss()

    def batch_loss(bu, bi, br):
        pred, pu, qi, b1, b2 = model(bu, bi)
        if a.loss == "mse":
            return mse(pred, br)
        loss = 0.5 * (pred - br) ** 2
        loss = loss + 0.5 * a.l2 * ((pu * pu).sum(1) + (qi * qi).sum(1))
        if b1 is not None:
            loss = loss + 0.5 * a.bias_l2 * (b1 * b1 + b2 * b2)
        return loss.mean()

    best_rmse = math.inf
    patience_ref = math.inf
    bad = 0
    best_epoch = 0
    best_state = None
    train_s = 0.0
    epochs_run = 0
    to_target_s = None
    to_target_epoch = None
    trace = []
    bs = a.batch_size
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        if a.verbatim:
            order = torch.from_numpy(np.lexsort((i.numpy(), u.numpy())))
        else:
            order = torch.randperm(n_train, generator=gen)
        eu, ei, er = u[order], i[order], r[order]
        if a.verbatim:
            # "PyTorch for Recommenders 101" as published (Variable() dropped,
            # it is a no-op since PyTorch 0.4): note there is no zero_grad
            for user, item, rating in zip(eu.tolist(), ei.tolist(), er.tolist()):
                rating = torch.FloatTensor([rating])
                user = torch.LongTensor([int(user)])
                item = torch.LongTensor([int(item)])
                prediction = model(user, item)[0]
                loss = mse(prediction, rating)
                loss.backward()
                opt.step()
        elif bs == 1:
            # the article's loop: one forward, backward and step per rating
            for j in range(n_train):
                opt.zero_grad()
                loss = batch_loss(eu[j:j + 1], ei[j:j + 1], er[j:j + 1])
                loss.backward()
                opt.step()
        else:
            for s in range(0, n_train, bs):
                opt.zero_grad()
                loss = batch_loss(eu[s:s + bs], ei[s:s + bs], er[s:s + bs])
                loss.backward()
                opt.step()
        sched.step()
        epochs_run = epoch
        stop = False
        if n_val > 0:
            v = rmse(predict_all(model, vu, vi, lo, hi)[0], vr)
            if v < patience_ref * (1.0 - MIN_IMPROVEMENT):
                patience_ref = v
                bad = 0
            else:
                bad += 1
            if v < best_rmse:
                best_rmse = v
                best_epoch = epoch
                best_state = {kk: t.clone() for kk, t in model.state_dict().items()}
            stop = bad >= a.patience
        else:
            best_epoch = epoch
        train_s += time.perf_counter() - t0
        if a.trace or (a.target_rmse is not None and to_target_s is None):
            c, w = predict_all(model, test_u, test_i, lo, hi)
            t = rmse(c, test_r)
            trace.append([epoch, round(t, 4), round(rmse(w, test_r), 4), round(train_s, 3)])
            if a.target_rmse is not None and to_target_s is None and t <= a.target_rmse:
                to_target_s, to_target_epoch = train_s, epoch
        if stop:
            break
    t0 = time.perf_counter()
    if best_state is not None and best_epoch != epochs_run:
        model.load_state_dict(best_state)
    train_s += time.perf_counter() - t0

    clipped, raw = predict_all(model, test_u, test_i, lo, hi)
    out = {
        "rmse": rmse(clipped, test_r),
        "rmse_unclipped": rmse(raw, test_r),
        "n_test": len(test_r),
        "epochs": epochs_run,
        "best_epoch": best_epoch,
        "val_rmse": best_rmse if n_val > 0 else None,
        "train_rows": n_train,
        "rating_min": lo,
        "rating_max": hi,
        "train_seconds": train_s,
        "seconds_per_epoch": train_s / epochs_run,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "target_rmse": a.target_rmse,
        "seconds_to_target": to_target_s,
        "epoch_to_target": to_target_epoch,
        "trace": trace if a.trace else None,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
