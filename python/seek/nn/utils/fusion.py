"""seek.nn.utils.fusion: folding an eval-mode BatchNorm2d into the preceding Conv2d for
inference, like torch.nn.utils.fusion (seek/nn/fusion.h does the work in C++).

fuse_conv_bn_eval(conv, bn) returns a new Conv2d (eval mode, with a bias) equal to bn(conv(x));
fuse_conv_bn(model) rewrites every Conv2d -> BatchNorm2d pair of the model's Sequentials in place
(the BatchNorm2d becomes an Identity, a following ReLU stays) and returns how many it folded.

fuse_conv_bn_relu_train(model) is the training counterpart: every Conv2d -> BatchNorm2d (-> ReLU) runs
as one fused op with batch statistics (seek.nn.FusedConvBNReLU), ResNet blocks included, and the
model's parameters (the same tensors) and state_dict keys do not change, so checkpoints load both ways.
"""
from ... import _C


def fuse_conv_bn_eval(conv, bn, transpose=False):
    """torch.nn.utils.fusion.fuse_conv_bn_eval for Conv2d + BatchNorm2d (both in eval mode)."""
    if transpose:
        raise NotImplementedError("fuse_conv_bn_eval: ConvTranspose2d is not supported")
    return _C.nn._fuse_conv_bn_eval(conv, bn)


def fuse_conv_bn(model):
    """Folds every Conv2d -> BatchNorm2d pair of an eval-mode model in place; returns the count."""
    return _C.nn._fuse_conv_bn(model)


def fuse_conv_bn_relu_train(model):
    """Runs every Conv2d -> BatchNorm2d (-> ReLU) of the model as the fused training op, in place,
    keeping parameters and state_dict keys; returns how many conv + batch norm pairs now run fused."""
    return _C.nn._fuse_conv_bn_relu_train(model)


__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn", "fuse_conv_bn_relu_train"]
