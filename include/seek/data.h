#pragma once
// The data pipeline: datasets, IDX / MNIST reading, DataLoader, transforms.
#include "seek/data/dataloader.h"
#include "seek/data/dataset.h"
#include "seek/data/idx.h"
#include "seek/data/transforms.h"
