import numpy as np, time, sys
sys.path.insert(0,'.')
exec(open('scripts/experiments/analyze.py').read().split("for k in ['c288'")[0])
import csv
from index.evaluation import auroc
k='c288'; R=nz(Z['r_'+k]); Q=nz(Z['q_'+k])
C=len(classes); Y=np.eye(C)[ry]
for lam in [0.01,0.1,1,10]:
    t=time.time(); W=np.linalg.solve(R.T@R+lam*np.eye(R.shape[1]), R.T@Y); S=Q@W
    print('ridge',lam, (S.argmax(1)==qy).mean(), round(time.time()-t,2))
t=time.time(); a,P=softmax_reg(Z['r_'+k],ry,Z['q_'+k]); print('lr',a,round(time.time()-t,1))
for it in [50,100]:
    import torch
    X=torch.tensor(R,dtype=torch.float32); y=torch.tensor(ry)
    W=torch.zeros(X.shape[1],C,requires_grad=True); b=torch.zeros(C,requires_grad=True)
    opt=torch.optim.LBFGS([W,b],max_iter=it,line_search_fn='strong_wolfe')
    def clo():
        opt.zero_grad(); l=torch.nn.functional.cross_entropy(X@W*10+b,y)+1e-3*(W**2).sum(); l.backward(); return l
    t=time.time(); opt.step(clo)
    with torch.no_grad(): P=(torch.tensor(Q)@W*10+b).numpy()
    print('lr iters',it,(P.argmax(1)==qy).mean(), round(time.time()-t,1))
