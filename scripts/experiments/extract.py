import sys, time, numpy as np, torch, csv
from pathlib import Path
sys.path.insert(0, '.')
from vision import load_embedder, load_image
from torchvision import transforms
e = load_embedder('offline', threads=2)
m = e.model
D = Path('build/grocery')
def rows(p):
    return list(csv.DictReader(open(p)))
refs = rows(D/'products_all.csv'); qs = [r for r in rows(D/'queries_unknown.csv')]
ref_paths = [D/r['path'] for r in refs]; ref_lab = [r['product_id'] for r in refs]; ref_view=[r['view'] for r in refs]
# val truth from claims file (unknown file has blanks for held-out)
cl = [r for r in rows(D/'queries_claims.csv') if not r['claimed_product_id']]
q_paths = [D/r['path'] for r in cl]; q_lab = [r['true_product_id'] for r in cl]
norm = transforms.Normalize([0.498]*3, [0.502]*3)
T = {
 'c288': transforms.Compose([transforms.Resize(320, antialias=True), transforms.CenterCrop(288), transforms.ToTensor(), norm]),
 'full288': transforms.Compose([transforms.Resize((288,288), antialias=True), transforms.ToTensor(), norm]),
 'c384': transforms.Compose([transforms.Resize(420, antialias=True), transforms.CenterCrop(384), transforms.ToTensor(), norm]),
}
# hook intermediate block outputs
feats = {}
def hook(i):
    def f(mod, inp, out): feats[i] = out
    return f
idx = [5, 10, 14]  # block indices for mid-level features
for i in idx: m._blocks[i].register_forward_hook(hook(i))
def run(paths, name):
    out = {k: [] for k in ['c288','c288_flip','full288','c384','mid']}
    t=time.time()
    for s in range(0, len(paths), 4):
        ims = [load_image(p, min_side=640) for p in paths[s:s+4]]
        with torch.inference_mode():
            for k in ['c288','full288','c384']:
                x = torch.stack([T[k](im) for im in ims])
                f = m.extract_features(x)
                out[k].append(f.mean((2,3)).numpy())
                if k == 'c288':
                    out['mid'].append(np.concatenate([feats[i].mean((2,3)).numpy() for i in idx], 1))
                    out['c288_flip'].append(m.extract_features(torch.flip(x, dims=[3])).mean((2,3)).numpy())
    print(name, time.time()-t, flush=True)
    return {k: np.concatenate(v) for k,v in out.items()}
R = run(ref_paths, 'refs'); Q = run(q_paths, 'queries')
np.savez('build/exp/feats.npz', **{f'r_{k}':v for k,v in R.items()}, **{f'q_{k}':v for k,v in Q.items()}, ref_lab=np.array(ref_lab), q_lab=np.array(q_lab), ref_view=np.array(ref_view))
