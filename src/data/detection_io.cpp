// YOLO-folder and COCO-json readers and writers for DetectionSet. Labels are parsed with
// from_chars (no locale, no silent partial parses) and every box goes through one check,
// check_box, so both formats report a bad box the same way: "<file>:<line>: ...". The COCO
// reader streams the file with json::Reader, keeping the byte offset of each element so an
// error names its line.
#include "seek/data/detection_io.h"

#include <stb_image.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "seek/io/json.h"
#include "seek/ops/creation.h"
#include "yolo_label_text.h"

namespace seek::data {
namespace {

namespace fs = std::filesystem;
namespace json = seek::io::json;

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

std::string read_text(const std::string& path, const char* who) {
  std::ifstream in(path, std::ios::binary);
  SEEK_CHECK_T(IOError, in.is_open(), who, ": cannot open '", path, "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const std::string& path, const std::string& text, const char* who) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  SEEK_CHECK_T(IOError, out.good(), who, ": cannot write '", path, "'");
}

// Shortest decimal text that reads back to the same float (json numbers of the writers).
json::Value float_value(float v) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return json::Value::number(std::string_view(buf, static_cast<size_t>(res.ptr - buf)));
}

// The one box check: finite, positive size, inside [0, width] x [0, height] within the slack.
void check_box(double x1, double y1, double x2, double y2, int64_t width, int64_t height, const std::string& where) {
  SEEK_CHECK_T(LabelError, std::isfinite(x1) && std::isfinite(y1) && std::isfinite(x2) && std::isfinite(y2), where,
               "box has a non-finite coordinate");
  SEEK_CHECK_T(LabelError, x2 > x1 && y2 > y1, where, "box (", x1, ", ", y1, ", ", x2, ", ", y2,
               ") has a non-positive size (", x2 - x1, " x ", y2 - y1, ")");
  const double s = kBoxSlackPixels;
  SEEK_CHECK_T(LabelError, x1 >= -s && y1 >= -s && x2 <= width + s && y2 <= height + s, where, "box (", x1, ", ", y1,
               ", ", x2, ", ", y2, ") is outside the ", width, "x", height, " image");
}

void check_class(int64_t cls, int64_t num_classes, const std::string& where) {
  SEEK_CHECK_T(LabelError, cls >= 0 && (num_classes <= 0 || cls < num_classes), where, "class ", cls,
               " is out of range [0, ", num_classes, ")");
}

Tensor make_boxes(const std::vector<float>& xyxy) {
  return tensor<float>(xyxy, {static_cast<int64_t>(xyxy.size() / 4), 4});
}
Tensor make_labels(const std::vector<int64_t>& labels) {
  return tensor<int64_t>(labels, {static_cast<int64_t>(labels.size())});
}

// Clipped into the image (a box within the slack may reach past the border).
void push_box(std::vector<float>& out, double x1, double y1, double x2, double y2, int64_t w, int64_t h) {
  out.push_back(static_cast<float>(std::clamp(x1, 0.0, static_cast<double>(w))));
  out.push_back(static_cast<float>(std::clamp(y1, 0.0, static_cast<double>(h))));
  out.push_back(static_cast<float>(std::clamp(x2, 0.0, static_cast<double>(w))));
  out.push_back(static_cast<float>(std::clamp(y2, 0.0, static_cast<double>(h))));
}

// Parses one whitespace-separated token as T with nothing left over.
template <typename T>
bool parse_token(std::string_view tok, T* out) {
  if (!tok.empty() && tok.front() == '+') tok.remove_prefix(1);
  auto res = std::from_chars(tok.data(), tok.data() + tok.size(), *out);
  return res.ec == std::errc() && res.ptr == tok.data() + tok.size();
}

// One YOLO label file -> boxes (pixels, xyxy) and labels of an image of width x height.
void read_label_file(const std::string& path, int64_t width, int64_t height, int64_t num_classes,
                     std::vector<float>* boxes, std::vector<int64_t>* labels) {
  const std::string text = read_text(path, "read_yolo_folder");
  size_t pos = 0;
  int64_t line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    std::vector<std::string_view> tokens;
    for (size_t i = 0; i < line.size();) {
      while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
      size_t j = i;
      while (j < line.size() && !std::isspace(static_cast<unsigned char>(line[j]))) ++j;
      if (j > i) tokens.push_back(line.substr(i, j - i));
      i = j;
    }
    if (tokens.empty()) continue;
    const std::string where = str(path, ":", line_no, ": ");
    SEEK_CHECK_T(LabelError, tokens.size() == 5, where, "malformed line '", line,
                 "': expected 5 fields 'class cx cy w h', got ", tokens.size());
    int64_t cls = 0;
    SEEK_CHECK_T(LabelError, parse_token(tokens[0], &cls), where, "malformed line '", line, "': class '", tokens[0],
                 "' is not an integer");
    double v[4];
    for (int k = 0; k < 4; ++k)
      SEEK_CHECK_T(LabelError, parse_token(tokens[k + 1], &v[k]), where, "malformed line '", line, "': field ", k + 2,
                   " '", tokens[k + 1], "' is not a number");
    check_class(cls, num_classes, where);
    SEEK_CHECK_T(LabelError, v[2] > 0 && v[3] > 0, where, "box size (", v[2], ", ", v[3], ") is not positive");
    const double x1 = (v[0] - v[2] / 2) * width, x2 = (v[0] + v[2] / 2) * width;
    const double y1 = (v[1] - v[3] / 2) * height, y2 = (v[1] + v[3] / 2) * height;
    check_box(x1, y1, x2, y2, width, height, where);
    push_box(*boxes, x1, y1, x2, y2, width, height);
    labels->push_back(cls);
  }
}

}  // namespace

void check_detection_record(const DetectionRecord& r, int64_t num_classes, const std::string& where) {
  const std::string at = where.empty() ? std::string() : where + ": ";
  SEEK_CHECK_T(LabelError, r.width > 0 && r.height > 0, at, "image size ", r.width, "x", r.height, " is not positive");
  SEEK_CHECK_T(LabelError, r.boxes.defined() && r.labels.defined(), at, "boxes and labels must be set");
  SEEK_CHECK_T(LabelError, r.boxes.dim() == 2 && r.boxes.size(1) == 4 && r.boxes.dtype() == kFloat32, at,
               "boxes must be float32 [n, 4]");
  SEEK_CHECK_T(LabelError, r.labels.dim() == 1 && r.labels.dtype() == kInt64 && r.labels.size(0) == r.boxes.size(0), at,
               "labels must be int64 [n] with n = ", r.boxes.size(0), " boxes");
  const auto b = to_vector<float>(r.boxes);
  const auto l = to_vector<int64_t>(r.labels);
  for (size_t i = 0; i < l.size(); ++i) {
    const std::string w = str(at, "box ", i, ": ");
    check_class(l[i], num_classes, w);
    check_box(b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3], r.width, r.height, w);
  }
}

DetectionSet read_yolo_folder(const std::string& images_dir, const std::string& labels_dir,
                              const std::vector<std::string>& class_names) {
  std::error_code ec;
  SEEK_CHECK_T(IOError, fs::is_directory(images_dir, ec), "read_yolo_folder: '", images_dir, "' is not a folder");
  SEEK_CHECK_T(IOError, fs::is_directory(labels_dir, ec), "read_yolo_folder: '", labels_dir, "' is not a folder");
  std::vector<fs::path> images;
  for (const auto& entry : fs::directory_iterator(images_dir, ec)) {
    const std::string ext = lower(entry.path().extension().string());
    if (entry.is_regular_file(ec) && (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp"))
      images.push_back(entry.path());
  }
  SEEK_CHECK_T(IOError, !ec, "read_yolo_folder: cannot list '", images_dir, "': ", ec.message());
  std::sort(images.begin(), images.end());

  DetectionSet set;
  set.class_names = class_names;
  const auto num_classes = static_cast<int64_t>(class_names.size());
  set.records.reserve(images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    DetectionRecord r;
    r.image_path = images[i].string();
    r.image_id = static_cast<int64_t>(i);
    int w = 0, h = 0, c = 0;
    SEEK_CHECK_T(IOError, stbi_info(r.image_path.c_str(), &w, &h, &c) != 0, "read_yolo_folder: cannot read the image '",
                 r.image_path, "': ", stbi_failure_reason() ? stbi_failure_reason() : "unknown error");
    r.width = w;
    r.height = h;
    std::vector<float> boxes;
    std::vector<int64_t> labels;
    const fs::path label_path = fs::path(labels_dir) / (images[i].stem().string() + ".txt");
    if (fs::exists(label_path, ec))
      read_label_file(label_path.string(), r.width, r.height, num_classes, &boxes, &labels);
    r.boxes = make_boxes(boxes);
    r.labels = make_labels(labels);
    set.records.push_back(std::move(r));
  }
  return set;
}

void write_yolo_labels(const DetectionSet& set, const std::string& labels_dir) {
  std::error_code ec;
  fs::create_directories(labels_dir, ec);
  SEEK_CHECK_T(IOError, fs::is_directory(labels_dir), "write_yolo_labels: cannot create '", labels_dir, "'");
  const auto num_classes = static_cast<int64_t>(set.class_names.size());
  for (const auto& r : set.records) {
    check_detection_record(r, num_classes, str("write_yolo_labels: ", r.image_path));
    const auto b = to_vector<float>(r.boxes);
    const auto l = to_vector<int64_t>(r.labels);
    const std::string text = detail::yolo_label_text(b.data(), l.data(), l.size(), r.width, r.height);
    const fs::path path = fs::path(labels_dir) / (fs::path(r.image_path).stem().string() + ".txt");
    write_text(path.string(), text, "write_yolo_labels");
  }
}

DetectionSet read_coco_json(const std::string& json_path, const std::string& image_root) {
  const std::string text = read_text(json_path, "read_coco_json");
  // Line numbers of increasing byte offsets (an element's first non-blank character).
  size_t counted_to = 0;
  int64_t line = 1;
  auto line_at = [&](size_t off) {
    while (off < text.size() && std::isspace(static_cast<unsigned char>(text[off]))) ++off;
    for (; counted_to < off; ++counted_to) line += text[counted_to] == '\n';
    return line;
  };
  struct Item {
    json::Value v;
    int64_t line;
  };
  std::vector<Item> images, annotations, categories;
  json::Reader reader(text);
  try {
    reader.begin_object();
    std::string key;
    while (reader.next_member(&key)) {
      std::vector<Item>* dst = key == "images"        ? &images
                               : key == "annotations" ? &annotations
                               : key == "categories"  ? &categories
                                                      : nullptr;
      if (dst == nullptr) {
        reader.skip_value();
        continue;
      }
      reader.begin_array();
      while (reader.next_element()) {
        const int64_t at = line_at(reader.offset());
        dst->push_back({reader.read_value(), at});
      }
    }
    reader.end();
  } catch (const ValueError& e) {
    throw LabelError(str(json_path, ":", line_at(std::min(reader.offset(), text.size())), ": ", e.what()));
  }

  // Field access with file:line errors.
  auto where = [&](int64_t at) { return str(json_path, ":", at, ": "); };
  auto field = [&](const Item& it, const char* name, const char* what) -> const json::Value& {
    SEEK_CHECK_T(LabelError, it.v.is_object(), where(it.line), what, " is not an object");
    const json::Value* f = it.v.find(name);
    SEEK_CHECK_T(LabelError, f != nullptr, where(it.line), what, " has no '", name, "'");
    return *f;
  };
  auto int_field = [&](const Item& it, const char* name, const char* what) {
    try {
      return field(it, name, what).as_int64();
    } catch (const LabelError&) {
      throw;
    } catch (const ValueError& e) {
      throw LabelError(str(where(it.line), what, " '", name, "': ", e.what()));
    }
  };

  DetectionSet set;
  std::map<int64_t, int64_t> class_of_category;  // category id -> class index, ids sorted
  std::map<int64_t, std::string> category_names;
  for (const auto& c : categories) {
    const int64_t id = int_field(c, "id", "category");
    const json::Value& name = field(c, "name", "category");
    SEEK_CHECK_T(LabelError, name.is_string(), where(c.line), "category 'name' is not a string");
    SEEK_CHECK_T(LabelError, category_names.emplace(id, name.as_string()).second, where(c.line), "category id ", id,
                 " appears twice");
  }
  for (const auto& [id, name] : category_names) {
    class_of_category[id] = static_cast<int64_t>(set.class_names.size());
    set.class_names.push_back(name);
  }

  std::map<int64_t, size_t> record_of_image;
  std::vector<std::vector<float>> boxes(images.size());
  std::vector<std::vector<int64_t>> labels(images.size());
  for (const auto& im : images) {
    DetectionRecord r;
    r.image_id = int_field(im, "id", "image");
    r.width = int_field(im, "width", "image");
    r.height = int_field(im, "height", "image");
    SEEK_CHECK_T(LabelError, r.width > 0 && r.height > 0, where(im.line), "image ", r.image_id, " has size ", r.width,
                 "x", r.height);
    const json::Value& name = field(im, "file_name", "image");
    SEEK_CHECK_T(LabelError, name.is_string(), where(im.line), "image 'file_name' is not a string");
    r.image_path = (fs::path(image_root) / name.as_string()).string();
    SEEK_CHECK_T(LabelError, record_of_image.emplace(r.image_id, set.records.size()).second, where(im.line),
                 "image id ", r.image_id, " appears twice");
    set.records.push_back(std::move(r));
  }
  for (const auto& a : annotations) {
    const json::Value* crowd = a.v.is_object() ? a.v.find("iscrowd") : nullptr;
    if (crowd != nullptr && crowd->is_number() && crowd->as_double() != 0) continue;
    const int64_t image_id = int_field(a, "image_id", "annotation");
    const int64_t category = int_field(a, "category_id", "annotation");
    auto rit = record_of_image.find(image_id);
    SEEK_CHECK_T(LabelError, rit != record_of_image.end(), where(a.line), "annotation refers to image id ", image_id,
                 ", which is not in 'images'");
    auto cit = class_of_category.find(category);
    SEEK_CHECK_T(LabelError, cit != class_of_category.end(), where(a.line), "annotation category_id ", category,
                 " is not in 'categories'");
    const json::Value& bbox = field(a, "bbox", "annotation");
    SEEK_CHECK_T(LabelError, bbox.is_array() && bbox.size() == 4, where(a.line),
                 "annotation 'bbox' is not an array of 4 numbers [x, y, w, h]");
    double v[4];
    for (int k = 0; k < 4; ++k) {
      const json::Value& e = bbox.as_array()[static_cast<size_t>(k)];
      SEEK_CHECK_T(LabelError, e.is_number(), where(a.line), "annotation 'bbox' is not an array of 4 numbers");
      v[k] = e.as_double();
    }
    const DetectionRecord& r = set.records[rit->second];
    const std::string at = str(where(a.line), "image ", image_id, ": ");
    check_box(v[0], v[1], v[0] + v[2], v[1] + v[3], r.width, r.height, at);
    push_box(boxes[rit->second], v[0], v[1], v[0] + v[2], v[1] + v[3], r.width, r.height);
    labels[rit->second].push_back(cit->second);
  }
  for (size_t i = 0; i < set.records.size(); ++i) {
    set.records[i].boxes = make_boxes(boxes[i]);
    set.records[i].labels = make_labels(labels[i]);
  }
  return set;
}

void write_coco_json(const DetectionSet& set, const std::string& json_path) {
  const auto num_classes = static_cast<int64_t>(set.class_names.size());
  json::Value images = json::Value::array(), annotations = json::Value::array(), categories = json::Value::array();
  int64_t next_id = 1;
  for (const auto& r : set.records) {
    check_detection_record(r, num_classes, str("write_coco_json: ", r.image_path));
    json::Value im = json::Value::object();
    im.set("id", r.image_id);
    im.set("file_name", fs::path(r.image_path).filename().string());
    im.set("width", r.width);
    im.set("height", r.height);
    images.push_back(std::move(im));
    const auto b = to_vector<float>(r.boxes);
    const auto l = to_vector<int64_t>(r.labels);
    for (size_t i = 0; i < l.size(); ++i) {
      const float w = b[4 * i + 2] - b[4 * i], h = b[4 * i + 3] - b[4 * i + 1];
      json::Value a = json::Value::object();
      a.set("id", next_id++);
      a.set("image_id", r.image_id);
      a.set("category_id", l[i] + 1);
      json::Value bbox = json::Value::array();
      bbox.push_back(float_value(b[4 * i]));
      bbox.push_back(float_value(b[4 * i + 1]));
      bbox.push_back(float_value(w));
      bbox.push_back(float_value(h));
      a.set("bbox", std::move(bbox));
      a.set("area", float_value(w * h));
      a.set("iscrowd", 0);
      annotations.push_back(std::move(a));
    }
  }
  for (int64_t k = 0; k < num_classes; ++k) {
    json::Value c = json::Value::object();
    c.set("id", k + 1);
    c.set("name", set.class_names[static_cast<size_t>(k)]);
    c.set("supercategory", "none");
    categories.push_back(std::move(c));
  }
  // One image / annotation / category per line: compact, and an error's line names its element.
  std::string text = "{";
  const std::pair<const char*, const json::Value*> parts[] = {
      {"images", &images}, {"annotations", &annotations}, {"categories", &categories}};
  for (const auto& [key, list] : parts) {
    text += str(text.size() > 1 ? ",\n" : "\n", "\"", key, "\": [");
    const auto& items = list->as_array();
    for (size_t i = 0; i < items.size(); ++i) text += (i ? ",\n  " : "\n  ") + json::dump(items[i]);
    text += items.empty() ? "]" : "\n]";
  }
  text += "\n}";
  write_text(json_path, text + "\n", "write_coco_json");
}

std::vector<std::string> read_class_names(const std::string& path) {
  std::istringstream in(read_text(path, "read_class_names"));
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    names.push_back(line);
  }
  while (!names.empty() && names.back().empty()) names.pop_back();
  for (size_t i = 0; i < names.size(); ++i)
    SEEK_CHECK_T(LabelError, !names[i].empty(), path, ":", i + 1, ": empty class name");
  return names;
}

void write_class_names(const std::vector<std::string>& names, const std::string& path) {
  std::string text;
  for (const auto& n : names) {
    SEEK_CHECK_VALUE(!n.empty() && n.find('\n') == std::string::npos, "write_class_names: bad class name '", n, "'");
    text += n + "\n";
  }
  write_text(path, text, "write_class_names");
}

}  // namespace seek::data
