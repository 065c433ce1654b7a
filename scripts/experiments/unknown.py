import numpy as np, sys, csv
sys.path.insert(0,'.')
from index.judging import head as H
from index.evaluation import auroc
Z=np.load('build/exp/feats.npz'); rl=np.array(Z['ref_lab']); ql=np.array(Z['q_lab'])
nz=lambda x: x/np.linalg.norm(x,axis=1,keepdims=True)
uq=list(csv.DictReader(open('build/grocery/queries_unknown.csv')))
held=set(ql[i] for i,r in enumerate(uq) if r['true_product_id']=='')
keep=np.array([c not in held for c in rl]); R=nz(Z['r_c288'])[keep]; y=list(rl[keep]); Q=nz(Z['q_c288'])
isunk=np.array([c in held for c in ql])
head,oof=H.fit(R,y,0); cl=list(head.products); ci={c:i for i,c in enumerate(cl)}
LP=head.log_probs(Q); logits=10*(Q@head.weight)+head.bias
S=Q@R.T
ya=np.array([ci[c] for c in y])
bestsim=np.array([[S[i,ya==c].max() for c in range(len(cl))] for i in range(len(Q))])
ident=LP.argmax(1)
def au(score,name): print(f'{name:35s} {auroc(score[~isunk],score[isunk]):.4f}')
au(-LP.max(1),'-max logp')
au(-np.log(np.exp(logits).sum(1)),'-energy')
au(-bestsim.max(1),'-max sim')
au(-bestsim[np.arange(len(Q)),ident],'-sim of identified')
# top2 sim mean per class
k2=np.array([[np.sort(S[i,ya==c])[-3:].mean() for c in range(len(cl))] for i in range(len(Q))])
au(-k2.max(1),'-max top3 mean sim')
# per-product LOO similarity p-value
per={}
for c in range(len(cl)):
    V=R[ya==c]; G=V@V.T; G[G>=0.92]=-9; per[c]=np.sort(G.max(1))
pv=np.array([(1+np.searchsorted(per[ident[i]],bestsim[i,ident[i]],side='right'))/(len(per[ident[i]])+1) for i in range(len(Q))])
au(-pv,'-sim p-value (identified)')
# mahalanobis-ish: distance to class mean
means=np.stack([nz(R[ya==c].mean(0,keepdims=True))[0] for c in range(len(cl))])
au(-(Q@means.T).max(1),'-max cos to class mean')
# relative: sim of identified minus LOO median
med=np.array([np.median(per[c]) for c in range(len(cl))])
au(-(bestsim[np.arange(len(Q)),ident]-med[ident]),'-sim minus product median')
