// YOLO inference on image files (train_yolo detect): each image is letterboxed as in validation (through a
// DetectionDataset without boxes, which also gives the letterbox geometry), run through the trained model,
// filtered by NMS, mapped back to the original pixels and drawn on the original image with its class and
// confidence. Writes <out>/<name>.png per image, <out>/predictions.json (COCO results: image_id, category_id
// = class + 1, bbox x, y, w, h, score), <out>/images.json (the image ids: {"id", "file_name", "width",
// "height"}) and <out>/grid.png (the first 16 pictures, when they share one size).
#include <algorithm>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/data/image_folder.h"
#include "seek/data/image_write.h"
#include "seek/io/json.h"
#include "seek/ops/creation.h"
#include "seek/ops/shape.h"
#include "seek/vision/draw.h"
#include "yolo/yolo_common.h"

namespace yolo_example {

namespace {

bool is_image(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

std::vector<fs::path> list_images(const fs::path& source) {
  std::vector<fs::path> files;
  if (fs::is_directory(source)) {
    for (const auto& e : fs::directory_iterator(source))
      if (e.is_regular_file() && is_image(e.path())) files.push_back(e.path());
    std::sort(files.begin(), files.end());
  } else {
    SEEK_CHECK_T(IOError, fs::is_regular_file(source), "--source ", source.string(),
                 " is neither an image file nor a folder");
    files.push_back(source);
  }
  SEEK_CHECK_T(IOError, !files.empty(), "no image (.png, .jpg, .jpeg, .bmp) in ", source.string());
  return files;
}

}  // namespace

int detect(const DetectOptions& o) {
  set_num_threads_if(o.threads);
  ModelInfo info;
  auto model = load_trained_model(o.weights, &info);
  std::vector<fs::path> files = list_images(o.source);
  if (o.limit > 0 && static_cast<int64_t>(files.size()) > o.limit) files.resize(static_cast<size_t>(o.limit));
  fs::create_directories(o.out);

  // The images as a detection set without boxes: the dataset letterboxes them like validation does.
  data::DetectionSet set;
  set.class_names = info.class_names;
  std::vector<Tensor> originals;
  io::json::Value images = io::json::Value::array();
  for (size_t i = 0; i < files.size(); ++i) {
    Tensor img = data::read_image(files[i].string(), 3);
    data::DetectionRecord r;
    r.image_path = files[i].string();
    r.image_id = static_cast<int64_t>(i);
    r.height = img.size(1);
    r.width = img.size(2);
    r.boxes = zeros({0, 4}, TensorOptions(kFloat32));
    r.labels = zeros({0}, TensorOptions(kInt64));
    io::json::Value e = io::json::Value::object();
    e.set("id", r.image_id);
    e.set("file_name", files[i].filename().string());
    e.set("width", r.width);
    e.set("height", r.height);
    images.push_back(std::move(e));
    set.records.push_back(std::move(r));
    originals.push_back(std::move(img));
  }
  data::DetectionAugment aug;
  aug.img_size = info.img_size;
  const data::DetectionDataset dataset(std::move(set), aug, false);

  vision::NmsOptions nms;
  nms.conf_threshold = o.conf;
  nms.iou_threshold = o.iou;
  nms.max_det = o.max_det;
  NoGradGuard no_grad;
  std::vector<vision::CocoDetection> all;
  std::vector<Tensor> pictures;
  int64_t total = 0;
  for (int64_t i = 0; i < dataset.size(); ++i) {
    const data::DetectionSample s = dataset.get(i, nullptr);
    const Tensor pred = model->decode(model->forward(s.image.unsqueeze(0)));
    const Tensor dets = vision::non_max_suppression(pred.to(kFloat32), nms)[0];
    const std::vector<vision::CocoDetection> found = to_coco(dets, s);
    std::vector<float> xyxy;
    std::vector<std::string> labels;
    std::vector<vision::Color> colors;
    for (const auto& d : found) {
      xyxy.insert(xyxy.end(), {static_cast<float>(d.bbox[0]), static_cast<float>(d.bbox[1]),
                               static_cast<float>(d.bbox[0] + d.bbox[2]), static_cast<float>(d.bbox[1] + d.bbox[3])});
      const int64_t cls = d.category_id - 1;
      std::ostringstream l;
      l << (cls >= 0 && cls < static_cast<int64_t>(info.class_names.size()) ? info.class_names[static_cast<size_t>(cls)]
                                                                            : std::to_string(cls))
        << " " << std::fixed << std::setprecision(2) << d.score;
      labels.push_back(l.str());
      colors.push_back(vision::palette_color(cls));
    }
    const auto n = static_cast<int64_t>(found.size());
    const Tensor boxes = n > 0 ? tensor<float>(xyxy, Shape{n, 4}) : zeros({0, 4}, TensorOptions(kFloat32));
    const Tensor picture = vision::draw_bounding_boxes(originals[static_cast<size_t>(i)], boxes, labels, colors);
    const fs::path png = fs::path(o.out) / (files[static_cast<size_t>(i)].stem().string() + ".png");
    data::write_image(png.string(), picture);
    if (o.grid && pictures.size() < 16) pictures.push_back(picture);
    all.insert(all.end(), found.begin(), found.end());
    total += n;
  }
  vision::write_coco_detections(all, (fs::path(o.out) / "predictions.json").string());
  std::ofstream(fs::path(o.out) / "images.json") << io::json::dump(images, 1) << "\n";
  const bool same_size = std::all_of(pictures.begin(), pictures.end(),
                                     [&](const Tensor& p) { return p.sizes() == pictures.front().sizes(); });
  if (pictures.size() > 1 && same_size)
    data::write_image((fs::path(o.out) / "grid.png").string(), vision::make_grid(pictures, 4, 2, 255));
  std::cout << "detected " << total << " objects in " << files.size() << " images (conf >= " << o.conf
            << "); pictures and predictions.json in " << o.out << std::endl;
  return 0;
}

}  // namespace yolo_example
