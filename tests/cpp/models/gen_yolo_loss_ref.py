"""Reference values for test_yolo_loss.cpp (YoloLoss parity), from a PyTorch transcription of YOLOv5's
ComputeLoss / build_targets / bbox_iou (utils/loss.py, utils/metrics.py, v7.0) in float32, generalised
to per-image anchors [B, A, 2] (the ratio test and the anchor of a match use the target's own image's
anchors) and with train.py's hyp scaling (box *= 3/nl, cls *= nc/80 * 3/nl, obj *= (S/640)^2 * 3/nl).

Writes tests/cpp/models/yolo_loss_ref.json: per case the inputs (preds, anchors in pixels, targets),
the loss and its three items, the number of matches per scale, and the gradients of the loss with
respect to the predictions and the anchors.

    /work/torchref/bin/python tests/cpp/models/gen_yolo_loss_ref.py     (torch 1.13.1)
"""
import json
import os
import sys

import torch


# YOLOv5's bbox_iou, the transcription beside test_bbox_iou.cpp (one copy for both reference files).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vision"))
from gen_bbox_iou_ref import bbox_iou  # noqa: E402


def build_targets(p, targets, anchors_px, strides, anchor_t):
    na, nt = p[0].shape[1], targets.shape[0]
    tcls, tbox, indices, anch = [], [], [], []
    gain = torch.ones(7)
    ai = torch.arange(na).float().view(na, 1).repeat(1, nt)
    targets = torch.cat((targets.repeat(na, 1, 1), ai[..., None]), 2)
    g = 0.5
    off = torch.tensor([[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1]]).float() * g
    for i in range(len(p)):
        anchors = anchors_px[i] / strides[i]  # [B, na, 2] grid units
        shape = p[i].shape
        gain[2:6] = torch.tensor(shape)[[3, 2, 3, 2]]
        t = targets * gain
        if nt:
            r = t[..., 4:6] / anchors.detach()[t[..., 0].long(), t[..., 6].long()]
            j = torch.max(r, 1 / r).max(2)[0] < anchor_t
            t = t[j]
            gxy = t[:, 2:4]
            gxi = gain[[2, 3]] - gxy
            j, k = ((gxy % 1 < g) & (gxy > 1)).T
            l, m = ((gxi % 1 < g) & (gxi > 1)).T
            j = torch.stack((torch.ones_like(j), j, k, l, m))
            t = t.repeat((5, 1, 1))[j]
            offsets = (torch.zeros_like(gxy)[None] + off[:, None])[j]
        else:
            t = targets[0]
            offsets = 0
        bc, gxy, gwh, a = t.chunk(4, 1)
        a, (b, c) = a.long().view(-1), bc.long().T
        gij = (gxy - offsets).long()
        gi, gj = gij.T
        indices.append((b, a, gj.clamp_(0, shape[2] - 1), gi.clamp_(0, shape[3] - 1)))
        tbox.append(torch.cat((gxy - gij, gwh), 1))
        anch.append(anchors[b, a])
        tcls.append(c)
    return tcls, tbox, indices, anch


def compute_loss(p, targets, anchors_px, strides, nc, hyp, iou_kind):
    nl = len(p)
    S = p[0].shape[3] * strides[0]
    box_gain = hyp["box"] * 3 / nl
    cls_gain = hyp["cls"] * nc / 80 * 3 / nl
    obj_gain = hyp["obj"] * (S / 640) ** 2 * 3 / nl
    eps = hyp["label_smoothing"]
    cp, cn = 1.0 - 0.5 * eps, 0.5 * eps
    bce = torch.nn.BCEWithLogitsLoss()
    lcls, lbox, lobj = torch.zeros(1), torch.zeros(1), torch.zeros(1)
    tcls, tbox, indices, anchors = build_targets(p, targets, anchors_px, strides, hyp["anchor_t"])
    counts = []
    for i, pi in enumerate(p):
        b, a, gj, gi = indices[i]
        tobj = torch.zeros(pi.shape[:4], dtype=pi.dtype)
        n = b.shape[0]
        counts.append(n)
        if n:
            pxy, pwh, _, pcls = pi[b, a, gj, gi].split((2, 2, 1, nc), 1)
            pxy = pxy.sigmoid() * 2 - 0.5
            pwh = (pwh.sigmoid() * 2) ** 2 * anchors[i]
            pbox = torch.cat((pxy, pwh), 1)
            iou = bbox_iou(pbox, tbox[i], **{iou_kind: True}).squeeze()
            lbox += (1.0 - iou).mean()
            iou = iou.detach().clamp(0).type(tobj.dtype)
            tobj[b, a, gj, gi] = iou
            if nc > 1:
                t = torch.full_like(pcls, cn)
                t[range(n), tcls[i]] = cp
                lcls += bce(pcls, t)
        lobj += bce(pi[..., 4], tobj) * hyp["balance"][i]
    lbox *= box_gain
    lobj *= obj_gain
    lcls *= cls_gain
    bs = p[0].shape[0]
    return (lbox + lobj + lcls) * bs, (lbox.item(), lobj.item(), lcls.item()), counts


def make_case(seed, B, na, nc, S, strides, nt, iou_kind, label_smoothing, extra_targets=()):
    gen = torch.Generator().manual_seed(seed)
    base = [[(10, 13), (16, 30), (33, 23)], [(30, 61), (62, 45), (59, 119)], [(116, 90), (156, 198), (373, 326)]]
    preds, anchors = [], []
    for i, s in enumerate(strides):
        g = S // s
        preds.append((torch.randn(B, na, g, g, 5 + nc, generator=gen) * 0.8).requires_grad_())
        a = torch.tensor(base[i][:na], dtype=torch.float32) * (S / 640) * 2
        scale = 0.7 + 0.6 * torch.rand(B, na, 2, generator=gen)  # per image
        anchors.append((a[None] * scale).requires_grad_())
    rows = []
    for _ in range(nt):
        b = int(torch.randint(0, B, (1,), generator=gen))
        c = int(torch.randint(0, nc, (1,), generator=gen))
        wh = 0.05 + 0.5 * torch.rand(2, generator=gen)
        xy = wh / 2 + (1 - wh) * torch.rand(2, generator=gen)
        rows.append([b, c, float(xy[0]), float(xy[1]), float(wh[0]), float(wh[1])])
    rows += [list(r) for r in extra_targets]
    targets = torch.tensor(rows, dtype=torch.float32)
    hyp = dict(box=0.05, obj=1.0, cls=0.5, anchor_t=4.0, balance=[4.0, 1.0, 0.4][: len(strides)] if len(strides) == 3 else [4.0, 1.0],
               label_smoothing=label_smoothing)
    loss, items, counts = compute_loss(preds, targets, anchors, strides, nc, hyp, iou_kind)
    loss.backward()
    flat = lambda t: [float(f"{float(v):.9g}") for v in t.detach().reshape(-1)]
    return dict(
        batch=B, num_anchors=na, num_classes=nc, image_size=S, strides=list(strides), iou_type=iou_kind,
        label_smoothing=label_smoothing, targets=flat(targets), preds=[flat(p) for p in preds],
        anchors=[flat(a) for a in anchors], loss=float(loss), items=list(items), counts=counts,
        grad_preds=[flat(p.grad) for p in preds], grad_anchors=[flat(a.grad) for a in anchors])


def main():
    cases = [
        make_case(1, 2, 3, 4, 64, (16, 32), 7, "CIoU", 0.1),
        # one class (no class loss), GIoU, targets on the borders of the grid
        make_case(2, 2, 3, 1, 32, (8, 16, 32), 4, "GIoU", 0.0,
                  extra_targets=[(0, 0, 1.0, 0.5, 0.2, 0.3), (1, 0, 0.02, 0.98, 0.04, 0.04)]),
        make_case(3, 3, 2, 3, 32, (8, 16), 6, "DIoU", 0.0),
    ]
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "yolo_loss_ref.json")
    with open(out, "w") as f:
        json.dump({"generator": "tests/cpp/models/gen_yolo_loss_ref.py", "torch": torch.__version__,
                   "cases": cases}, f)
    print("wrote", out, [round(c["loss"], 6) for c in cases], [c["counts"] for c in cases])


if __name__ == "__main__":
    main()
