"""Experiment: fine-tune EfficientNet-Lite0 on catalog references; measure kNN/LR on val."""
import sys, time, csv, math, random, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
from pathlib import Path
sys.path.insert(0,'.')
from vision import load_embedder, load_image
from torchvision import transforms
from index.evaluation import auroc, tpr_at_fpr
torch.set_num_threads(2); torch.manual_seed(0); random.seed(0)
EPOCHS=int(sys.argv[1]) if len(sys.argv)>1 else 5
SIZE=int(sys.argv[2]) if len(sys.argv)>2 else 224
HOLD=len(sys.argv)>3 and sys.argv[3]=='heldout'
D=Path('build/grocery')
refs=list(csv.DictReader(open(D/('products_heldout.csv' if HOLD else 'products_all.csv'))))
classes=sorted(set(r['product_id'] for r in refs)); ci={c:i for i,c in enumerate(classes)}
imgs=[load_image(D/r['path']) for r in refs]; ys=torch.tensor([ci[r['product_id']] for r in refs])
norm=transforms.Normalize([0.498]*3,[0.502]*3)
aug=transforms.Compose([transforms.RandomResizedCrop(SIZE,scale=(0.25,1.0),antialias=True),transforms.RandomHorizontalFlip(),
    transforms.ColorJitter(0.3,0.3,0.2,0.03),transforms.ToTensor(),norm])
e=load_embedder('offline',threads=2); m=e.model
head=nn.Linear(1280,len(classes))
opt=torch.optim.AdamW([{'params':m.parameters(),'lr':3e-4},{'params':head.parameters(),'lr':3e-3}],weight_decay=1e-4)
B=32; steps=EPOCHS*math.ceil(len(imgs)/B); sched=torch.optim.lr_scheduler.OneCycleLR(opt,max_lr=[3e-4,3e-3],total_steps=steps,pct_start=0.15)
t0=time.time(); step=0
for ep in range(EPOCHS):
    m.train(); perm=torch.randperm(len(imgs)); tot=0
    for s in range(0,len(imgs),B):
        idx=perm[s:s+B]; x=torch.stack([aug(imgs[i]) for i in idx]); y=ys[idx]
        f=m.extract_features(x).mean((2,3)); logits=head(F.dropout(f,0.2))
        loss=F.cross_entropy(logits,y,label_smoothing=0.1)
        opt.zero_grad(); loss.backward(); opt.step(); sched.step(); tot+=loss.item()*len(idx); step+=1
    print(f'epoch {ep} loss {tot/len(imgs):.3f} t {time.time()-t0:.0f}s',flush=True)
m.eval()
tag=f"ft_e{EPOCHS}_s{SIZE}{'_heldout' if HOLD else ''}"
torch.save({'model':m.state_dict(),'head':head.state_dict(),'classes':classes},f'build/exp/{tag}.pt')
# embed refs + val at 288 centre crop
qrows=[r for r in csv.DictReader(open(D/'queries_claims.csv')) if not r['claimed_product_id']]
def emb(paths, tf):
    out=[]
    with torch.inference_mode():
        for s in range(0,len(paths),8):
            x=torch.stack([tf(load_image(D/p)) for p in paths[s:s+8]]); f=m.extract_features(x).mean((2,3)); out.append(F.normalize(f,dim=1))
    return torch.cat(out).numpy()
for ev in (288, SIZE):
    tf=transforms.Compose([transforms.Resize(int(ev*320/288),antialias=True),transforms.CenterCrop(ev),transforms.ToTensor(),norm])
    R=emb([r['path'] for r in refs],tf); Q=emb([r['path'] for r in qrows],tf)
    np.savez(f'build/exp/{tag}_feats{ev}.npz',R=R,Q=Q,rl=np.array([r['product_id'] for r in refs]),ql=np.array([r['true_product_id'] for r in qrows]),view=np.array([r['view'] for r in refs]))
    print('saved',ev,time.time()-t0,flush=True)
