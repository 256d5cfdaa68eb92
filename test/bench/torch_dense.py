#!/usr/bin/python3
"""torch_dense.py: a PyTorch (CPU) reference of recsys's dense kind, for
test/bench/compare.sh.

The model, initialisation, loss, optimizer, validation hold-out and early
stopping follow src/core/dense.c and src/core/model.c, written the way a
PyTorch user would write them:
  x = [e_u ; e_i] -> (Linear(., hidden) -> ReLU -> Dropout) x layers
    -> Linear(hidden, 1), plus mu + b_u + b_i
  * e_u, e_i: nn.Embedding from N(0, init_std^2); biases b_u, b_i zero;
    nn.Linear's default initialisation, the output bias zero; mu is the mean
    of the training ratings, a constant.
  * loss nn.MSELoss() over minibatches; torch.optim.Adam (or SGD) with
    weight_decay, over dense gradients of every weight (recsys's default
    "lazy": false does the same).
  * rows reshuffled every epoch; a seeded validation_fraction of u1.base is
    held out; training stops after `patience` epochs without a relative gain
    of more than 1e-4 and keeps the best epoch's weights.
  * predictions clipped to the training ratings' range; an unknown user or
    item is a zero embedding and bias, as in recsys.
Only the training loop is timed.  Prints one JSON object in the format of
torch_mf.py (compare_table.py reads both).
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


class Dense(nn.Module):
    """Embeddings into a feed-forward network with a global-mean offset."""

    def __init__(self, n_users, n_items, k, hidden, layers, dropout, biases,
                 init_std, mu):
        super().__init__()
        self.user_embedding = nn.Embedding(n_users, k)
        self.item_embedding = nn.Embedding(n_items, k)
        nn.init.normal_(self.user_embedding.weight, 0.0, init_std)
        nn.init.normal_(self.item_embedding.weight, 0.0, init_std)
        mods = []
        d_in = 2 * k
        for _ in range(layers):
            mods += [nn.Linear(d_in, hidden), nn.ReLU()]
            if dropout > 0:
                mods.append(nn.Dropout(dropout))
            d_in = hidden
        out = nn.Linear(hidden, 1)
        nn.init.zeros_(out.bias)
        mods.append(out)
        self.net = nn.Sequential(*mods)
        self.biases = biases
        if biases:
            self.user_bias = nn.Embedding(n_users, 1)
            self.item_bias = nn.Embedding(n_items, 1)
            nn.init.zeros_(self.user_bias.weight)
            nn.init.zeros_(self.item_bias.weight)
        self.register_buffer("mu", torch.tensor(mu))

    def forward(self, u, i):
        """Predictions; u or i of -1 is unknown (zero embedding and bias)."""
        ku = (u >= 0).float().unsqueeze(1)
        ki = (i >= 0).float().unsqueeze(1)
        eu = self.user_embedding(u.clamp(min=0)) * ku
        ei = self.item_embedding(i.clamp(min=0)) * ki
        pred = self.net(torch.cat([eu, ei], 1)).squeeze(1) + self.mu
        if self.biases:
            pred = pred + (self.user_bias(u.clamp(min=0)) * ku).squeeze(1) \
                + (self.item_bias(i.clamp(min=0)) * ki).squeeze(1)
        return pred


def load(path):
    """user, item, rating columns of a MovieLens u?.base / u?.test file."""
    a = np.loadtxt(path, dtype=np.int64, usecols=(0, 1, 2))
    return a[:, 0], a[:, 1], a[:, 2].astype(np.float32)


def predict_all(model, u, i, lo, hi):
    """Clipped and raw predictions in evaluation mode (no dropout)."""
    model.eval()
    with torch.no_grad():
        raw = model(u, i)
    model.train()
    return raw.clamp(lo, hi), raw


def rmse(pred, r):
    """Root mean squared error."""
    return math.sqrt(float(((pred - r) ** 2).mean()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="MovieLens-100K folder")
    ap.add_argument("--split", default="u1")
    # the defaults are recsys's dense defaults (src/core/dense.c)
    ap.add_argument("--factors", type=int, default=20)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--weight-decay", type=float, default=0.001)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--learning-rate", type=float, default=0.003)
    ap.add_argument("--optimizer", choices=("sgd", "adam"), default="adam")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--validation-fraction", type=float, default=0.02)
    ap.add_argument("--patience", type=int, default=6)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--no-biases", action="store_true")
    ap.add_argument("--init-std", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--trace", action="store_true",
                    help="record u1.test RMSE after every epoch, untimed")
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

    n = len(ratings)
    perm = torch.randperm(n, generator=gen)
    n_val = min(int(math.floor(n * a.validation_fraction)), n - 1)
    tr, va = perm[: n - n_val], perm[n - n_val:]
    u, i, r = users[tr], items[tr], ratings[tr]
    vu, vi, vr = users[va], items[va], ratings[va]
    n_train = len(r)
    mu = float(r.double().mean())
    lo, hi = float(r.min()), float(r.max())

    model = Dense(len(uids), len(iids), a.factors, a.hidden, a.layers,
                  a.dropout, not a.no_biases, a.init_std, mu)
    if a.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=a.learning_rate,
                               weight_decay=a.weight_decay)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=a.learning_rate,
                              weight_decay=a.weight_decay)
    mse = nn.MSELoss()

    best_rmse = math.inf
    patience_ref = math.inf
    bad = 0
    best_epoch = 0
    best_state = None
    train_s = 0.0
    epochs_run = 0
    trace = []
    bs = a.batch_size
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        order = torch.randperm(n_train, generator=gen)
        eu, ei, er = u[order], i[order], r[order]
        for s in range(0, n_train, bs):
            opt.zero_grad()
            loss = mse(model(eu[s:s + bs], ei[s:s + bs]), er[s:s + bs])
            loss.backward()
            opt.step()
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
        if a.trace:
            c, w = predict_all(model, test_u, test_i, lo, hi)
            trace.append([epoch, round(rmse(c, test_r), 4), round(rmse(w, test_r), 4),
                          round(train_s, 3)])
        if stop:
            break
    t0 = time.perf_counter()
    if best_state is not None and best_epoch != epochs_run:
        model.load_state_dict(best_state)
    train_s += time.perf_counter() - t0

    clipped, raw = predict_all(model, test_u, test_i, lo, hi)
    print(json.dumps({
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
        "target_rmse": None,
        "seconds_to_target": None,
        "epoch_to_target": None,
        "trace": trace if a.trace else None,
    }))


if __name__ == "__main__":
    main()
