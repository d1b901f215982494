#pragma once
// Every public nn header: modules, layers, containers, init, functional and losses.
#include "seek/nn/attention.h"
#include "seek/nn/container.h"
#include "seek/nn/conv.h"
#include "seek/nn/functional.h"
#include "seek/nn/init.h"
#include "seek/nn/layers_basic.h"
#include "seek/nn/linear.h"
#include "seek/nn/loss.h"
#include "seek/nn/module.h"
#include "seek/nn/normalization.h"
#include "seek/nn/pooling.h"
#include "seek/nn/packed_sequence.h"
#include "seek/nn/rnn.h"
#include "seek/nn/transformer.h"
#include "seek/nn/squeeze_excitation.h"
#include "seek/nn/upsample.h"
// issue 12
#include "seek/nn/functional_extra.h"
#include "seek/nn/loss_extra.h"
// issue 15: conv + batch norm folding for inference
#include "seek/nn/fusion.h"
