#!/usr/bin/env python3
# Why not LT: a systematic LT code (robust soliton, c=0.1, delta=0.5, peeling
# decoder as BC-UR uses) over a channel losing 20% of frames; prints frames
# received per fragment. Compare recv/k of make bench-qr (docs/qr.md).
import random, math
def robust_soliton(k, c=0.1, delta=0.5):
    R = c*math.log(k/delta)*math.sqrt(k)
    rho=[0]+[1/k]+[1/(d*(d-1)) for d in range(2,k+1)]
    tau=[0]*(k+1)
    piv=int(round(k/R)) if R>0 else k
    for d in range(1,k+1):
        if d<piv: tau[d]=R/(d*k)
        elif d==piv: tau[d]=R*math.log(R/delta)/k
    z=sum(rho)+sum(tau)
    return [(rho[d]+tau[d])/z for d in range(k+1)]
def trial(k, loss, rng, dist):
    known=set(); eqs=[]; received=0; i=0
    while len(known)<k:
        if i<k: s={i}
        else:
            d=rng.choices(range(k+1),weights=dist)[0]; s=set(rng.sample(range(k),d))
        i+=1
        if rng.random()<loss: continue
        received+=1
        eqs.append(set(s))
        changed=True
        while changed:
            changed=False
            for e in eqs:
                e-=known
                if len(e)==1:
                    known|=e; changed=True
            eqs=[e for e in eqs if e]
    return received
rng=random.Random(1)
for k in (2,19,74):
    dist=robust_soliton(k)
    r=[trial(k,0.2,rng,dist) for _ in range(300)]
    print(k, "LT+peeling recv/k mean %.2f p90 %.2f"%(sum(r)/len(r)/k, sorted(r)[int(.9*len(r))]/k))
