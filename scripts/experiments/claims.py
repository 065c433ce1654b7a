import numpy as np, torch, csv, sys
sys.path.insert(0,'.'); sys.path.insert(0,'scripts/experiments')
from index.evaluation import auroc, tpr_at_fpr
exec(open('scripts/experiments/analyze.py').read().split("for k in ['c288'")[0])
rows=list(csv.DictReader(open('build/grocery/queries_claims.csv')))
look={}
for r in rows:
    if r['label']=='counterfeit': look[r['path']]=r['claimed_product_id']
qpaths=[r['path'] for r in rows if not r['claimed_product_id']]
assert len(qpaths)==len(ql)
def claim_eval(P, name, higher_is_genuine=True):
    neg=[];pos=[]
    for i,p in enumerate(qpaths):
        t=ci[ql[i]]; neg.append(-P[i,t])
        if p in look: pos.append(-P[i,ci[look[p]]])
    neg=np.array(neg);pos=np.array(pos)
    print(name,'claimAUROC',round(auroc(neg,pos),4),'tpr@5',round(tpr_at_fpr(neg,pos,.05),3))
k='c288'
r1,S=knn_r1(Z['r_'+k],Z['q_'+k]); claim_eval(S,'knn-sim')
# margin: sim to claimed minus best other
M=S-np.array([[np.max(np.delete(s,j)) for j in range(len(classes))] for s in S]); claim_eval(M,'knn-margin')
r1l,P=softmax_reg(Z['r_'+k],ry,Z['q_'+k]); claim_eval(np.log(P+1e-9),'lr-logp')
claim_eval(np.log(P+1e-9)+5*S,'lr+knn')
for k in ['c384']:
    r1,S=knn_r1(Z['r_'+k],Z['q_'+k]); claim_eval(S,'c384 knn-sim')
    r1l,P=softmax_reg(Z['r_'+k],ry,Z['q_'+k]); claim_eval(np.log(P+1e-9),'c384 lr-logp')
# unknown: held-out classes
uq=list(csv.DictReader(open('build/grocery/queries_unknown.csv')))
held=set(ql[i] for i,r in enumerate(uq) if r['true_product_id']=='')
keep=np.array([c not in held for c in rl])
k='c288'
R=Z['r_'+k][keep]; y2=ry[keep]
sub=sorted(set(y2)); remap={c:i for i,c in enumerate(sub)}
# knn max sim
S=nz(Z['q_'+k])@nz(R).T; best=S.max(1)
isunk=np.array([c in held for c in ql])
print('unknown knn AUROC', round(auroc(-best[~isunk],-best[isunk]),4))
X=torch.tensor(nz(R),dtype=torch.float32); yy=torch.tensor([remap[c] for c in y2])
W=torch.zeros(X.shape[1],len(sub),requires_grad=True); b=torch.zeros(len(sub),requires_grad=True)
opt=torch.optim.LBFGS([W,b],max_iter=300,line_search_fn='strong_wolfe')
def clo():
    opt.zero_grad(); l=torch.nn.functional.cross_entropy(X@W*10+b,yy)+1e-3*(W**2).sum(); l.backward(); return l
opt.step(clo)
with torch.no_grad(): L=(torch.tensor(nz(Z['q_'+k]),dtype=torch.float32)@W*10+b)
mp=torch.softmax(L,1).max(1).values.numpy(); ml=L.max(1).values.numpy()
print('unknown lr maxprob AUROC', round(auroc(-mp[~isunk],-mp[isunk]),4), 'maxlogit', round(auroc(-ml[~isunk],-ml[isunk]),4))
# knn relative to per-class LOO distribution
