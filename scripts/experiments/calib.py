import numpy as np, sys, csv
sys.path.insert(0,'.')
from index.judging import head as H
from index.evaluation import auroc, tpr_at_fpr
Z=np.load('build/exp/feats.npz'); rl=list(Z['ref_lab']); ql=list(Z['q_lab'])
nz=lambda x: x/np.linalg.norm(x,axis=1,keepdims=True)
R=nz(Z['r_c288']); Q=nz(Z['q_c288'])
head,oof=H.fit(R,rl,0)
classes=list(head.products); ci={c:i for i,c in enumerate(classes)}
LP=head.log_probs(Q)
rows=list(csv.DictReader(open('build/grocery/queries_claims.csv')))
look={r['path']:r['claimed_product_id'] for r in rows if r['label']=='counterfeit'}
qpaths=[r['path'] for r in rows if not r['claimed_product_id']]
pairs=[]  # (product, logp, is_false)
for i,p in enumerate(qpaths):
    pairs.append((ql[i], LP[i,ci[ql[i]]], 0))
    if p in look: pairs.append((look[p], LP[i,ci[look[p]]], 1))
per={}
for c,s in zip(rl,oof): per.setdefault(c,[]).append(s)
allv=np.sort(oof)
def logodds(lp): p=np.exp(lp); return np.log(p+1e-6)-np.log(1-p+1e-6)
def ev(name, f):
    sc=np.array([f(c,s) for c,s,_ in pairs]); y=np.array([t for *_,t in pairs])
    neg,pos=sc[y==0],sc[y==1]
    fa=np.mean(neg>=0.95); catch=np.mean(pos>=0.95)
    print(f'{name:30s} AUROC {auroc(neg,pos):.4f} tpr@5 {tpr_at_fpr(neg,pos,.05):.3f}  FA@0.95 {fa:.3f} catch {catch:.3f}')
ev('raw -logp', lambda c,s: -s)
ev('empirical per product', lambda c,s: 1-(1+np.sum(np.array(per[c])<=s))/(len(per[c])+1))
ev('empirical catalog', lambda c,s: 1-(1+np.searchsorted(allv,s,side='right'))/(len(allv)+1))
from math import erf, sqrt
Phi=lambda z: 0.5*(1+erf(z/sqrt(2)))
lo_all=logodds(np.array(oof)); mu0,sd0=lo_all.mean(),lo_all.std()
def gauss(c,s,k=10):
    v=logodds(np.array(per[c])); n=len(v)
    mu=(n*v.mean()+k*mu0)/(n+k); sd=np.sqrt((n*v.var()+k*sd0**2)/(n+k))
    return 1-Phi((logodds(s)-mu)/sd)
ev('gauss logodds shrink10', gauss)
ev('gauss logodds shrink0', lambda c,s: gauss(c,s,0))
ev('gauss logodds shrink50', lambda c,s: gauss(c,s,50))
ev('gauss catalog', lambda c,s: 1-Phi((logodds(s)-mu0)/sd0))
print('oof logp stats', np.percentile(oof,[1,5,25,50]))
def pcat(s): return (1+np.searchsorted(allv,s,side='right'))/(len(allv)+1)
def tail(c,s):
    v=np.sort(per[c]); n=len(v)
    p=(1+np.sum(v<=s))/(n+1)
    if s < v[0]:
        p = (1/(n+1)) * pcat(s)/pcat(v[0])
    return 1-p
ev('product + catalog tail', tail)
ev('geo mean', lambda c,s: 1-np.sqrt(((1+np.sum(np.array(per[c])<=s))/(len(per[c])+1))*pcat(s)))
