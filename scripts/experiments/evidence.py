"""Evidence lab: how much each signal (appearance, label text, abstention) buys, on cached signals.

    python scripts/experiments/cache_signals.py     # once, ~20 min
    python scripts/experiments/evidence.py

References: catalog image + train photos; queries: val photos (measuring only). Everything fitted
out of fold on references, grouped by photo session. Prints figures for design decisions."""

import csv
import json
import re
import os
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from index.evaluation import auroc  # noqa: E402
from index.judging import head as H  # noqa: E402
from index.judging.text import TextIndex, build_profile, read_words  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "grocery-store"
FOLDS = 5


def load():
    records = [json.loads(line) for line in open(ROOT / "build/exp/signals.jsonl", encoding="utf-8")]
    info = {}
    for f in (DATA / "iconic-images-and-descriptions").rglob("*_Information.txt"):
        text = f.read_text(encoding="utf-8-sig")
        title = re.search(r"Title: (.*)", text)
        maker = re.search(r"Manufacturer and volume: ([^,\n]*)", text)
        info[f.parent.name] = ((title.group(1).strip() if title else ""), (maker.group(1).strip().title() if maker else ""))
    return records, info


def sessions(vectors, threshold):
    return H._near_duplicate_groups_at(vectors, threshold) if hasattr(H, "_near_duplicate_groups_at") else \
        _groups(vectors, threshold)


def _groups(vectors, threshold):
    n = len(vectors)
    parent = np.arange(n)

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i
    sims = vectors @ vectors.T
    for i, j in zip(*np.nonzero(np.triu(sims >= threshold, k=1))):
        a, b = root(i), root(j)
        if a != b:
            parent[b] = a
    roots = np.array([root(i) for i in range(n)])
    return np.unique(roots, return_inverse=True)[1]


def log_softmax(logits):
    logits = logits - logits.max(axis=1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


class Lab:
    def __init__(self, refs, products, info, session_threshold=0.85, trained=None):
        """``trained``: boolean mask of references a tuned backbone trained on: never held out."""
        self.refs = refs
        self.products = products
        self.pi = {p: i for i, p in enumerate(products)}
        self.info = info
        self.X = np.array([r["vector"] for r in refs], np.float32)
        self.trained = np.zeros(len(refs), bool) if trained is None else np.asarray(trained)
        self.y = np.array([self.pi[r["product"]] for r in refs])
        self.words = [[w.word for w in read_words(r["text"])] for r in refs]
        # folds grouped by session within each product
        self.folds = np.zeros(len(refs), int)
        rng = np.random.default_rng(0)
        self.session = np.zeros(len(refs), int)
        offset = 0
        for c in range(len(products)):
            idx = np.flatnonzero(self.y == c)
            g = _groups(self.X[idx], session_threshold)
            self.session[idx] = g + offset
            offset += g.max() + 1
            order = rng.permutation(g.max() + 1)
            self.folds[idx] = order[g] % FOLDS
        self.folds[self.trained] = -1
        self.calib = ~self.trained

    def text_index(self, mask):
        per = defaultdict(list)
        for i in np.flatnonzero(mask):
            per[self.refs[i]["product"]].append(self.words[i])
        profiles = []
        for p in self.products:
            title, brand = self.info.get(p, ("", ""))
            profiles.append(build_profile(p, p.replace("-", " "), brand, title, per.get(p, [])))
        return TextIndex(profiles)

    def fit_head(self, mask):
        w, b = H.fit_linear(self.X[mask], self.y[mask], len(self.products))
        return w, b

    def oof(self):
        """Per reference: head log-probs over all products (OOF), text supports (OOF profiles),
        best similarity per product (OOF)."""
        n, P = len(self.refs), len(self.products)
        LP = np.zeros((n, P), np.float32)
        TS = np.zeros((n, P), np.float32)
        SIM = np.full((n, P), -1.0, np.float32)
        for k in range(FOLDS):
            held = self.folds == k
            if not held.any():
                continue
            w, b = self.fit_head(~held)
            LP[held] = log_softmax(H.SCALE * self.X[held] @ w + b)
            index = self.text_index(~held)
            for i in np.flatnonzero(held):
                s = index.supports(read_words(self.refs[i]["text"]))
                for p, v in s.items():
                    TS[i, self.pi[p]] = v
            sims = self.X[held] @ self.X[~held].T
            ytr = self.y[~held]
            for c in range(P):
                cols = ytr == c
                if cols.any():
                    SIM[held, c] = sims[:, cols].max(axis=1)
        return LP, TS, SIM

    def full(self, Q, qtext):
        w, b = self.fit_head(np.ones(len(self.refs), bool))
        LP = log_softmax(H.SCALE * Q @ w + b)
        index = self.text_index(np.ones(len(self.refs), bool))
        TS = np.zeros_like(LP)
        for i, t in enumerate(qtext):
            for p, v in index.supports(read_words(t)).items():
                TS[i, self.pi[p]] = v
        sims = Q @ self.X.T
        SIM = np.stack([sims[:, self.y == c].max(axis=1) for c in range(len(self.products))], 1)
        return LP, TS, SIM


def fuse(LP, TS, w_text):
    return log_softmax(LP + w_text * np.log1p(TS))


def main():
    records, info = load()
    refs = [r for r in records if r["split"] in ("iconic", "train")]
    vals = [r for r in records if r["split"] == "val"]
    products = sorted({r["product"] for r in refs})
    lab = Lab(refs, products, info)
    print("sessions per product (median):", np.median([len(set(lab.session[lab.y == c])) for c in range(len(products))]),
          "refs", len(refs))
    LP, TS, SIM = lab.oof()
    Q = np.array([r["vector"] for r in vals], np.float32)
    qy = np.array([lab.pi[r["product"]] for r in vals])
    qLP, qTS, qSIM = lab.full(Q, [r["text"] for r in vals])
    packages = np.array(["/Packages/" in r["path"] for r in vals])
    for w in (0.0, 0.5, 1.0, 1.5, 2.0, 3.0):
        f_oof = fuse(LP, TS, w)
        f_val = fuse(qLP, qTS, w)
        r1_oof = np.mean(f_oof.argmax(1) == lab.y)
        r1 = np.mean(f_val.argmax(1) == qy)
        r1p = np.mean(f_val.argmax(1)[packages] == qy[packages])
        nll_oof = -np.mean(f_oof[np.arange(len(lab.y)), lab.y])
        print(f"text weight {w}: R@1 oof {r1_oof:.3f} val {r1:.3f} (packages {r1p:.3f}) oof NLL {nll_oof:.3f}")


if __name__ == "__main__" and len(sys.argv) == 1:
    main()


# ---- v2: the fused verifier -----------------------------------------------------------------

def features(LP, SIM, TS, nwords, cands):
    """Per (row, candidate): appearance, similarity and text evidence, absolute and as a margin."""
    rows = np.arange(len(cands))
    def margin(M):
        top2 = np.sort(M, axis=1)[:, -2:]
        own = M[rows, cands]
        best_other = np.where(np.isclose(own, top2[:, 1]), top2[:, 0], top2[:, 1])
        return own, own - best_other
    a1, a2 = margin(LP)
    s1, s2 = margin(SIM)
    T = np.log1p(TS)
    t1, t2 = margin(T)
    n = np.log1p(nwords)
    out = np.stack([a1, a2, s1, s2, t1, t2, n, t1 * 0 + (t1 == 0) * n], 1)
    import os
    for i in os.environ.get("DROP", "").split(","):
        if i:
            out[:, int(i)] = 0
    return out


def lpo(lab, groups=5):
    """Leave-product-out: each reference scored by a head, similarities and text profiles that never
    saw its product (the unknown-product case). Columns of held products are -inf / 0."""
    n, P = len(lab.refs), len(lab.products)
    rng = np.random.default_rng(1)
    pgroup = rng.permutation(P) % groups
    LP = np.full((n, P), -np.inf, np.float32); TS = np.zeros((n, P), np.float32); SIM = np.full((n, P), -1.0, np.float32)
    for g in range(groups):
        held_p = np.flatnonzero(pgroup == g)
        held = np.isin(lab.y, held_p)
        keep_p = np.flatnonzero(pgroup != g)
        remap = {c: i for i, c in enumerate(keep_p)}
        ytr = np.array([remap[c] for c in lab.y[~held]])
        w, b = H.fit_linear(lab.X[~held], ytr, len(keep_p))
        LP[np.ix_(held, keep_p)] = log_softmax(H.SCALE * lab.X[held] @ w + b)
        index = lab.text_index(~held)
        for i in np.flatnonzero(held):
            for p, v in index.supports(read_words(lab.refs[i]["text"])).items():
                TS[i, lab.pi[p]] = v
        sims = lab.X[held] @ lab.X[~held].T
        for c in keep_p:
            SIM[held, c] = sims[:, lab.y[~held] == c].max(axis=1)
    return LP, TS, SIM


def topk_other(LP, y, k):
    order = np.argsort(-LP, axis=1)
    out = []
    for i in range(len(y)):
        picked = [c for c in order[i] if c != y[i]][:k]
        out.append(picked)
    return np.array(out)


def fit_verifier(F, labels, weights=None):
    from sklearn.linear_model import LogisticRegression
    model = LogisticRegression(C=1.0, max_iter=1000, class_weight="balanced")
    model.fit(F, labels, sample_weight=weights)
    return model


def nwords_of(texts):
    return np.array([len(read_words(t)) for t in texts], np.float32)


def experiment(lab, vals, claim_pairs, use_text=True, alpha=None):
    import os
    alpha = alpha or float(os.environ.get("ALPHA", "0.01"))
    LP, TS, SIM = lab.oof()
    if not use_text:
        TS = TS * 0
    nw = nwords_of([r["text"] for r in lab.refs]) * (1 if use_text else 0)
    c = lab.calib
    LP, TS, SIM, nw, y = LP[c], TS[c], SIM[c], nw[c], lab.y[c]
    pos = features(LP, SIM, TS, nw, y)
    neg_c = topk_other(LP, y, 3)
    negs = [features(LP, SIM, TS, nw, neg_c[:, j]) for j in range(3)]
    L2, T2, S2 = lpo(lab)
    L2, T2, S2 = L2[c], T2[c], S2[c]
    if not use_text:
        T2 = T2 * 0
    lpo_c = np.argmax(L2, axis=1)
    neg_u = features(L2, S2, T2, nw, lpo_c)
    F = np.concatenate([pos] + negs + [neg_u])
    labels = np.concatenate([np.ones(len(pos))] + [np.zeros(len(pos))] * 4)
    model = fit_verifier(F, labels)
    v_pos = model.predict_proba(pos)[:, 1]
    v_neg = np.concatenate([model.predict_proba(f)[:, 1] for f in negs])
    v_unk = model.predict_proba(neg_u)[:, 1]
    tau = np.quantile(v_neg if os.environ.get("NEG") == "3" else v_neg[:len(pos)], 1 - alpha)
    tau_open = np.quantile(v_unk, 1 - float(os.environ.get("ALPHA_OPEN", alpha)))
    print(f"  OOF: true accepted {np.mean(v_pos >= tau):.3f} (open {np.mean(v_pos >= tau_open):.3f}), top wrong accepted "
          f"{np.mean(v_neg[:len(pos)] >= tau):.3f}, unknown accepted {np.mean(v_unk >= tau_open):.3f}; tau {tau:.3f} "
          f"open {tau_open:.3f}; coef {np.round(model.coef_[0], 2)}")
    tau = (tau, tau_open)
    # val
    Q = np.array([r["vector"] for r in vals], np.float32)
    qLP, qTS, qSIM = lab.full(Q, [r["text"] for r in vals])
    qnw = nwords_of([r["text"] for r in vals])
    if not use_text:
        qTS, qnw = qTS * 0, qnw * 0
    qy = np.array([lab.pi.get(r["product"], -1) for r in vals])
    return model, tau, (qLP, qTS, qSIM, qnw, qy)


def main2():
    records, info = load()
    refs = [r for r in records if r["split"] in ("iconic", "train")]
    vals = [r for r in records if r["split"] == "val"]
    claims = list(csv.DictReader(open(ROOT / "build/grocery/queries_claims.csv")))
    look = {r["path"].removeprefix("data/"): r["claimed_product_id"] for r in claims if r["label"] == "counterfeit"}
    held_out = "Golden-Delicious Lemon Orange Satsumas Arla-Ecological-Medium-Fat-Milk Arla-Sour-Cream Asparagus Brown-Cap-Mushroom Red-Beet".split()
    threshold = float(sys.argv[2]) if len(sys.argv) > 2 else 0.92
    trained = None
    if len(sys.argv) > 3:  # tuned vectors: build/exp/tuned_<name>.npz, in signals.jsonl order
        tuned = np.load(ROOT / f"build/exp/tuned_{sys.argv[3]}.npz")
        for r, v in zip(records, tuned["vectors"]):
            r["vector"] = v
        train_set = {records[i]["path"] for i in tuned["train"]}
        trained = np.array([r["path"] in train_set for r in refs])
    for use_text in (False, True):
        print(f"== text {use_text}, session threshold {threshold}")
        products = sorted({r["product"] for r in refs})
        lab = Lab(refs, products, info, threshold, trained)
        model, tau, (qLP, qTS, qSIM, qnw, qy) = experiment(lab, vals, look, use_text)
        ident = qLP + (0 if not use_text else 0)
        true_f = features(qLP, qSIM, qTS, qnw, qy)
        v_true = model.predict_proba(true_f)[:, 1]
        lk_idx = [i for i, r in enumerate(vals) if r["path"] in look]
        lk_c = np.array([lab.pi[look[vals[i]["path"]]] for i in lk_idx])
        lk_f = features(qLP[lk_idx], qSIM[lk_idx], qTS[lk_idx], qnw[lk_idx], lk_c)
        v_look = model.predict_proba(lk_f)[:, 1]
        # identification: argmax of v over products
        allv = np.stack([model.predict_proba(features(qLP, qSIM, qTS, qnw, np.full(len(qy), c)))[:, 1]
                         for c in range(len(products))], 1)
        pk = np.array(["/Packages/" in r["path"] for r in vals])
        lpk = pk[lk_idx]
        print(f"  val: R@1 head {np.mean(qLP.argmax(1) == qy):.4f} fused {np.mean(allv.argmax(1) == qy):.4f} "
              f"(packages {np.mean(qLP.argmax(1)[pk] == qy[pk]):.3f} -> {np.mean(allv.argmax(1)[pk] == qy[pk]):.3f}); "
              f"claim AUROC {auroc(-v_true, -v_look):.4f} (packages {auroc(-v_true[pk], -v_look[lpk]):.3f}); "
              f"true genuine {np.mean(v_true >= tau[0]):.3f}; look-alike genuine {np.mean(v_look >= tau[0]):.3f}; "
              f"no-claim genuine (right product) {np.mean((allv.max(1) >= tau[1]) & (allv.argmax(1) == qy)):.3f}")
        oracle = np.quantile(v_look, 0.97)
        print(f"  oracle: at 3% look-alikes genuine, true genuine {np.mean(v_true > oracle):.3f} (packages "
              f"{np.mean(v_true[pk] > np.quantile(v_look[lpk], 0.97)):.3f})")
        if trained is not None and not os.environ.get("HELDOUT_TUNED"):
            continue  # unknown products need a backbone tuned without them (HELDOUT_TUNED=1: it was)
        # unknown products: held-out catalog
        keep = [r["product"] not in held_out for r in refs]
        refs_h = [r for r, k in zip(refs, keep) if k]
        products_h = sorted({r["product"] for r in refs_h})
        lab_h = Lab(refs_h, products_h, info, threshold, None if trained is None else trained[np.array(keep)])
        model_h, tau_h, (hLP, hTS, hSIM, hnw, hy) = experiment(lab_h, vals, look, use_text)
        top = np.stack([model_h.predict_proba(features(hLP, hSIM, hTS, hnw, np.full(len(hy), c)))[:, 1]
                        for c in range(len(products_h))], 1).max(1)
        unknown = hy < 0
        print(f"  unknown: AUROC {auroc(-top[~unknown], -top[unknown]):.3f}; unknown accepted {np.mean(top[unknown] >= tau_h[1]):.3f}; "
              f"known accepted {np.mean(top[~unknown] >= tau_h[1]):.3f}")


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "v2":
    main2()
