import numpy as np, sys, csv
sys.path.insert(0,'.')
from index.judging import head as H
from index.evaluation import auroc, tpr_at_fpr
tag=sys.argv[1]
rows=list(csv.DictReader(open('build/grocery/queries_claims.csv')))
look={r['path']:r['claimed_product_id'] for r in rows if r['label']=='counterfeit'}
qpaths=[r['path'] for r in rows if not r['claimed_product_id']]
for ev in sys.argv[2:]:
    Z=np.load(f'build/exp/{tag}_feats{ev}.npz'); R,Q=Z['R'],Z['Q']; rl=list(Z['rl']); ql=list(Z['ql'])
    cl=sorted(set(rl)); ci={c:i for i,c in enumerate(cl)}; ry=np.array([ci[c] for c in rl]); qy=np.array([ci[c] for c in ql])
    S=Q@R.T; P=np.stack([S[:,ry==c].max(1) for c in range(len(cl))],1)
    head,oof=H.fit(R,rl,0); LP=head.log_probs(Q)
    def claims(M):
        neg=[];pos=[]
        for i,p in enumerate(qpaths):
            neg.append(-M[i,ci[ql[i]]])
            if p in look: pos.append(-M[i,ci[look[p]]])
        return auroc(np.array(neg),np.array(pos)), tpr_at_fpr(np.array(neg),np.array(pos),0.05)
    print(ev, 'knn R@1 %.3f'%(P.argmax(1)==qy).mean(), 'head R@1 %.3f'%(LP.argmax(1)==qy).mean(),
          'claims knn-sim AUROC %.3f tpr5 %.3f'%claims(P), 'head AUROC %.3f tpr5 %.3f'%claims(LP))
