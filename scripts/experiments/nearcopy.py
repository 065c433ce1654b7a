import sys, io, random, numpy as np, cv2, csv
from pathlib import Path
from PIL import Image, ImageDraw, ImageOps
sys.path.insert(0,'.')
from vision.images import load_image, thumbnail_jpeg
D=Path('build/grocery')
refs=[r for r in csv.DictReader(open(D/'products_all.csv')) if r['view']=='shelf']
random.seed(0); sample=random.sample(refs, 60)
def thumb(im):
    return Image.open(io.BytesIO(thumbnail_jpeg(im))).convert('RGB')
def transforms(im):
    w,h=im.size
    out={}
    out['resize']=im.resize((int(w*0.6),int(h*0.6)))
    b=io.BytesIO(); im.save(b,'JPEG',quality=20); out['jpeg20']=Image.open(io.BytesIO(b.getvalue())).convert('RGB')
    out['crop75']=im.crop((int(w*.12),int(h*.12),int(w*.88),int(h*.88)))
    wm=im.copy(); d=ImageDraw.Draw(wm)
    for y in range(0,h,40): d.text((10,y),'BEST PRICE www.shop.example',fill=(255,255,255))
    out['watermark']=wm
    out['mirror']=ImageOps.mirror(im)
    return out
orb=cv2.ORB_create(nfeatures=1000)
def kp(im, size=320):
    g=np.asarray(im.convert('L'))
    s=size/max(g.shape); g=cv2.resize(g,(int(g.shape[1]*s),int(g.shape[0]*s)),interpolation=cv2.INTER_AREA)
    return orb.detectAndCompute(g,None)
bf=cv2.BFMatcher(cv2.NORM_HAMMING)
def gray(im,size=320):
    g=np.asarray(im.convert('L')).astype(np.float32)
    s=size/max(g.shape); return cv2.resize(g,(int(g.shape[1]*s),int(g.shape[0]*s)),interpolation=cv2.INTER_AREA)
def score(q, r):
    best=0
    kr,dr=kp(r); gr=gray(r)
    for qi in (q, ImageOps.mirror(q)):
        kq,dq=kp(qi)
        if dq is None or dr is None or len(kq)<8: continue
        ms=bf.knnMatch(dq,dr,k=2)
        good=[m for m,n in (p for p in ms if len(p)==2) if m.distance<0.8*n.distance]
        if len(good)<8: continue
        src=np.float32([kq[m.queryIdx].pt for m in good]); dst=np.float32([kr[m.trainIdx].pt for m in good])
        M,inl=cv2.estimateAffinePartial2D(src,dst,method=cv2.RANSAC,ransacReprojThreshold=4.0)
        if inl is None or inl.sum()<10: continue
        gq=gray(qi)
        warped=cv2.warpAffine(gq,M,(gr.shape[1],gr.shape[0]),flags=cv2.INTER_AREA,borderValue=-1)
        mask=cv2.warpAffine(np.ones_like(gq),M,(gr.shape[1],gr.shape[0]),flags=cv2.INTER_NEAREST)>0.5
        if mask.mean()<0.3: continue
        wb=cv2.GaussianBlur(warped,(0,0),2.5); rb=cv2.GaussianBlur(gr,(0,0),2.5); m2=cv2.erode(mask.astype(np.uint8),np.ones((9,9),np.uint8))>0
        a=wb[m2]; b=rb[m2]
        a=(a-a.mean())/(a.std()+1e-6); b=(b-b.mean())/(b.std()+1e-6)
        best=max(best,float((a*b).mean()))
    return best
pos={};neg=[]
for r in sample:
    im=load_image(D/r['path']); th=thumb(im)
    for k,t in transforms(im).items(): pos.setdefault(k,[]).append(score(t,th))
    # negative: another shelf photo of same product
    others=[o for o in refs if o['product_id']==r['product_id'] and o['path']!=r['path']]
    o=random.choice(others); neg.append(score(load_image(D/o['path']), th))
for k,v in pos.items(): print(k, np.percentile(v,[0,5,50]))
print('neg', np.percentile(neg,[50,95,99,100]))

# realistic negatives: val photos vs their 3 nearest references (same catalog), by embedding
sys.path.insert(0,'.')
from index import Catalog
cat=Catalog.open('build/cat_all')
val=[r for r in csv.DictReader(open(D/'queries_unknown.csv'))]
random.seed(1); vs=random.sample(val,80)
import numpy as np
ids,V=cat.vectors()
from vision import load_embedder
e=load_embedder('offline',threads=2)
negv=[]
for r in vs:
    im=load_image(D/r['path'])
    q=e.embed([im])[0]
    sims,found=cat.search(q[None],3)
    for i in found[0]:
        ref=cat.reference(int(i)); th=Image.open(cat.thumbnail_path(ref.sha256)).convert('RGB')
        negv.append(score(im,th))
print('val-neg', np.percentile(negv,[50,95,99,100]))
