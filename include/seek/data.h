#pragma once
// The data pipeline: datasets, IDX / MNIST reading, DataLoader, transforms, detection data (YOLO / COCO
// formats, augmentation, the Fashion-MNIST detection generator, statistics), image writing.
#include "seek/data/analysis.h"
#include "seek/data/cifar.h"
#include "seek/data/dataloader.h"
#include "seek/data/dataset.h"
#include "seek/data/idx.h"
#include "seek/data/image_folder.h"
#include "seek/data/mix.h"
#include "seek/data/sampler.h"
#include "seek/data/transforms.h"
#include "seek/data/detection_dataset.h"
#include "seek/data/detection_io.h"
#include "seek/data/detection_stats.h"
#include "seek/data/detection_transforms.h"
#include "seek/data/fashion_detection.h"
#include "seek/data/image_write.h"
