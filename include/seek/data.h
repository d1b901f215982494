#pragma once
// The data pipeline: datasets, IDX / MNIST reading, DataLoader, transforms.
#include "seek/data/analysis.h"
#include "seek/data/cifar.h"
#include "seek/data/dataloader.h"
#include "seek/data/dataset.h"
#include "seek/data/idx.h"
#include "seek/data/image_folder.h"
#include "seek/data/mix.h"
#include "seek/data/sampler.h"
#include "seek/data/transforms.h"
