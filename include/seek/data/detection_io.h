#pragma once
// Object-detection ground truth on disk: YOLO folders (images/ + labels/*.txt) and COCO
// json, read into and written from one in-memory form, DetectionSet.
//
// Every box is checked when it is read or written: a class outside [0, K), a box with a
// non-positive size or outside its image, a malformed line or a bad json field throws
// LabelError naming the file and the line (json lines are found from the reader's byte
// offset, so a problem in a large COCO file points at its annotation). A box may pass the
// image border by at most kBoxSlackPixels (rounding of normalised labels); it is clipped.
#include <cstdint>
#include <string>
#include <vector>

#include "seek/core/error.h"
#include "seek/core/tensor.h"

namespace seek::data {

struct DetectionRecord {  // one image and its ground truth
  std::string image_path;
  int64_t image_id = 0;
  int64_t width = 0, height = 0;
  Tensor boxes;   // float32 [n, 4] xyxy, pixels of the original image
  Tensor labels;  // int64 [n], 0-based class index
};
struct DetectionSet {
  std::vector<DetectionRecord> records;
  std::vector<std::string> class_names;
};

// A bad label or annotation: the message starts with "<file>:<line>: ".
class LabelError : public ValueError {
  using ValueError::ValueError;
};

// How far (in pixels) a box may reach past the image border before it is an error.
inline constexpr double kBoxSlackPixels = 0.5;

// images/<name>.{png,jpg,jpeg,bmp} + labels/<name>.txt, one "class cx cy w h" line per box,
// normalised by the image width / height (a missing .txt = no boxes; blank lines are
// skipped). Images are taken in sorted file-name order and image_id is that position
// (0, 1, ...); width / height come from the image file's header. Label files without an
// image are ignored. Throws IOError for a missing folder or an unreadable image header,
// LabelError for a bad line.
DetectionSet read_yolo_folder(const std::string& images_dir, const std::string& labels_dir,
                              const std::vector<std::string>& class_names);

// A COCO annotation file: images (id, file_name, width, height), annotations (image_id,
// category_id, bbox [x, y, w, h]; iscrowd 1 annotations are skipped) and categories
// (id, name). Category ids are mapped to 0..K-1 in increasing id order and class_names
// follow that order. Records keep the file's image order; image_path is image_root /
// file_name (not checked to exist). Throws IOError when the file cannot be read, LabelError
// (file:line) for a bad image, annotation or category.
DetectionSet read_coco_json(const std::string& json_path, const std::string& image_root);

// One <image stem>.txt per record in labels_dir (created if missing), "class cx cy w h"
// normalised with 6 decimals; a record without boxes gets an empty file.
void write_yolo_labels(const DetectionSet& set, const std::string& labels_dir);

// A COCO annotation file: images (id = image_id, file_name = the image's file name,
// width, height), annotations (id 1, 2, ... in record order, category id = class index
// + 1, bbox [x, y, w, h], area = w * h, iscrowd 0), categories (id k + 1, name).
// Coordinates are written as the shortest text that reads back to the same float32.
void write_coco_json(const DetectionSet& set, const std::string& json_path);

// classes.txt: one class name per line (trailing blank lines ignored).
std::vector<std::string> read_class_names(const std::string& path);
void write_class_names(const std::vector<std::string>& names, const std::string& path);

// Checks one record as the readers do (boxes [n, 4] float32 and labels [n] int64 on the
// CPU, class in [0, num_classes) when num_classes > 0, positive size, inside the image
// within kBoxSlackPixels); `where` starts the message. Throws LabelError.
void check_detection_record(const DetectionRecord& record, int64_t num_classes, const std::string& where);

}  // namespace seek::data
