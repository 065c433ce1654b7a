import numpy as np, torch, sys
Z=np.load('build/exp/feats.npz')
rl=Z['ref_lab']; ql=Z['q_lab']; views=Z['ref_view']
classes=sorted(set(rl)); ci={c:i for i,c in enumerate(classes)}
ry=np.array([ci[c] for c in rl]); qy=np.array([ci[c] for c in ql])
def nz(x): return x/np.linalg.norm(x,axis=1,keepdims=True)
def knn_r1(R,Q,ry=ry,mask=None):
    S=nz(Q)@nz(R).T
    if mask is not None: S=S[:,mask]; ry_=ry[mask]
    else: ry_=ry
    P=np.full((len(Q),len(classes)),-9.)
    for c in range(len(classes)):
        m=ry_==c
        if m.any(): P[:,c]=S[:,m].max(1)
    return (P.argmax(1)==qy).mean(), P
def softmax_reg(R,ry,Q,wd=1e-3,epochs=300,center=None):
    X=torch.tensor(nz(R),dtype=torch.float32); y=torch.tensor(ry)
    W=torch.zeros(X.shape[1],len(classes),requires_grad=True); b=torch.zeros(len(classes),requires_grad=True)
    opt=torch.optim.LBFGS([W,b],max_iter=epochs,line_search_fn='strong_wolfe')
    def clo():
        opt.zero_grad(); l=torch.nn.functional.cross_entropy(X@W*10+b,y)+wd*(W**2).sum(); l.backward(); return l
    opt.step(clo)
    with torch.no_grad(): P=torch.softmax(torch.tensor(nz(Q),dtype=torch.float32)@W*10+b,1).numpy()
    return (P.argmax(1)==qy).mean(), P
for k in ['c288','full288','c384','mid']:
    print(k, 'knn', round(knn_r1(Z['r_'+k],Z['q_'+k])[0],3), 'lr', round(softmax_reg(Z['r_'+k],ry,Z['q_'+k])[0],3))
# combos
cat=lambda *a: np.concatenate([nz(x) for x in a],1)
for name,(R,Q) in {'c288+flip': (Z['r_c288']+Z['r_c288_flip'], Z['q_c288']+Z['q_c288_flip']),
                   'c288+mid': (cat(Z['r_c288'],Z['r_mid']), cat(Z['q_c288'],Z['q_mid'])),
                   'c288+full': (cat(Z['r_c288'],Z['r_full288']), cat(Z['q_c288'],Z['q_full288'])),
                   'all': (cat(Z['r_c288'],Z['r_full288'],Z['r_c384'],Z['r_mid']), cat(Z['q_c288'],Z['q_full288'],Z['q_c384'],Z['q_mid']))}.items():
    print(name, 'knn', round(knn_r1(R,Q)[0],3), 'lr', round(softmax_reg(R,ry,Q)[0],3))
# iconic only
ic=views=='catalog'
for k in ['c288','full288','c384','mid']:
    print('iconic',k, round(knn_r1(Z['r_'+k],Z['q_'+k],mask=ic)[0],3))
