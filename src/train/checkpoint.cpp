// Training checkpoints (seek/train/checkpoint.h).
//
// SAVING is a small journal so that a crash at any point leaves a loadable checkpoint:
//   1. finish an earlier save that stopped after its commit (see 4), drop stale *.next files;
//   2. write model.safetensors.next / optimizer.safetensors.next (each atomically);
//   3. commit: write trainer.json atomically; it names every data file with its size and CRC-32;
//   4. rename each *.next over its final name.
// A crash before 3 leaves the old trainer.json and the old data files; a crash during 4
// leaves the new trainer.json with some data still under *.next, which loading accepts
// (it takes whichever of <file> and <file>.next matches the recorded size and CRC-32).
//
// LOADING reads and checks everything first (trainer.json's own CRC-32 and shape, every
// data file's size and CRC-32, the safetensors headers, the model's keys and shapes, the
// loader position), then applies the parts; should the optimizer or a scheduler still
// reject its state, the parts already applied are restored from snapshots taken before.
#include "seek/train/checkpoint.h"

#include <charconv>
#include <cmath>
#include <optional>
#include <set>
#include <system_error>

#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/core/generator.h"
#include "seek/cuda.h"
#include "seek/io/atomic_file.h"
#include "seek/io/json.h"
#include "seek/io/safetensors.h"

namespace seek::train {
namespace fs = std::filesystem;
using io::json::Value;

namespace {

constexpr const char* kManifest = "trainer.json";
constexpr const char* kModelFile = "model.safetensors";
constexpr const char* kOptimizerFile = "optimizer.safetensors";
constexpr const char* kFormat = "seek-checkpoint";
constexpr int64_t kVersion = 1;
constexpr uint64_t kMinSafetensorsSize = 10;  // the 8-byte length and "{}"

fs::path pending_path(const fs::path& p) { return fs::path(p.string() + ".next"); }

// Doubles travel as strings holding the shortest text that reads back to the same bits
// ("0.1", "-0", "inf", "nan"), since JSON numbers cannot hold inf or nan.
std::string double_text(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}
bool parse_double_text(const std::string& s, double* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

struct FileRecord {
  uint64_t size = 0;
  uint32_t crc32 = 0;
};

// trainer.json, decoded and checked.
struct Manifest {
  TrainingProgress progress;
  std::map<std::string, FileRecord> files;
  std::optional<optim::SchedulerStateDict> scheduler, plateau;
  std::optional<amp::GradScalerState> grad_scaler;
  std::optional<data::DataLoaderState> loader;
  std::optional<std::vector<std::pair<Device, GeneratorState>>> generators;
};

// Reads trainer.json's fields, each failure an IOError naming the file and the field.
class ManifestReader {
 public:
  explicit ManifestReader(fs::path path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& problem) const {
    throw IOError(str("load_checkpoint: '", path_.string(), "': ", problem));
  }

  Manifest read() {
    const std::string text = io::read_file(path_, "load_checkpoint");
    Value doc;
    try {
      doc = io::json::parse(text);
    } catch (const ValueError& e) {
      fail(str("invalid JSON (", e.what(), ")"));
    }
    if (!doc.is_object()) fail("the top level is not an object");
    // Self-check: crc32 is the CRC-32 of the compact dump of every other member.
    const uint32_t stored_crc = static_cast<uint32_t>(get_uint(doc, "crc32", "", 0xFFFFFFFFull));
    Value rest = Value::object();
    for (const auto& [k, v] : doc.as_object())
      if (k != "crc32") rest.set(k, v);
    if (io::crc32(io::json::dump(rest)) != stored_crc) fail("checksum mismatch (the file is corrupted or was edited)");
    if (!doc.find("format") || !doc.find("format")->is_string() || doc.find("format")->as_string() != kFormat)
      fail(str("not a seek checkpoint manifest (\"format\" is not \"", kFormat, "\")"));
    const int64_t version = get_int(doc, "version", "");
    if (version != kVersion) fail(str("format version ", version, ", this build reads version ", kVersion));

    Manifest m;
    m.progress.epoch = get_int(doc, "epoch", "");
    m.progress.step = get_int(doc, "step", "");
    // A valid checksum does not make the values possible (a buggy or hostile writer).
    if (m.progress.epoch < 0) fail(str("\"epoch\" is ", m.progress.epoch, ", a negative number of epochs"));
    if (m.progress.step < 0) fail(str("\"step\" is ", m.progress.step, ", a negative number of steps"));
    for (const auto& [k, v] : member(doc, "values", "", Value::Type::Object).as_object())
      m.progress.values[k] = get_double(v, str("values.", k));
    for (const auto& [name, rec] : member(doc, "files", "", Value::Type::Object).as_object()) {
      if (name != kModelFile && name != kOptimizerFile) fail(str("unknown file '", name, "' in \"files\""));
      if (!rec.is_object()) fail(str("files.", name, " is not an object"));
      FileRecord r;
      r.size = get_uint(rec, "size", "files." + name + ".", UINT64_MAX);
      r.crc32 = static_cast<uint32_t>(get_uint(rec, "crc32", "files." + name + ".", 0xFFFFFFFFull));
      if (r.size < kMinSafetensorsSize)
        fail(str("\"files.", name, ".size\" is ", r.size, ", smaller than any safetensors file (", kMinSafetensorsSize,
                 " bytes)"));
      m.files[name] = r;
    }
    if (doc.find("scheduler")) m.scheduler = read_pairs(doc, "scheduler");
    if (doc.find("plateau")) m.plateau = read_pairs(doc, "plateau");
    if (doc.find("grad_scaler")) {
      m.grad_scaler.emplace();
      for (const auto& [k, v] : read_pairs(doc, "grad_scaler")) (*m.grad_scaler)[k] = v;
    }
    if (doc.find("loader")) {
      const Value& l = member(doc, "loader", "", Value::Type::Object);
      m.loader = data::DataLoaderState{get_uint(l, "epoch", "loader.", UINT64_MAX),
                                       static_cast<size_t>(get_uint(l, "next_batch", "loader.", SIZE_MAX))};
    }
    if (doc.find("generators")) {
      m.generators.emplace();
      for (const auto& [name, g] : member(doc, "generators", "", Value::Type::Object).as_object()) {
        Device device;
        try {
          device = Device(name);
        } catch (const Error&) {
          fail(str("generators: '", name, "' is not a device"));
        }
        if (!g.is_object()) fail(str("generators.", name, " is not an object"));
        const std::string pre = "generators." + name + ".";
        m.generators->emplace_back(
            device, GeneratorState{get_uint(g, "seed", pre, UINT64_MAX), get_uint(g, "offset", pre, UINT64_MAX)});
      }
    }
    return m;
  }

 private:
  const Value& member(const Value& obj, const std::string& key, const std::string& prefix, Value::Type type) const {
    const Value* v = obj.find(key);
    if (!v) fail(str("missing \"", prefix, key, "\""));
    if (v->type() != type)
      fail(str("\"", prefix, key, "\" is ", io::json::type_noun(v->type()), ", expected ", io::json::type_noun(type)));
    return *v;
  }
  int64_t get_int(const Value& obj, const std::string& key, const std::string& prefix) const {
    const Value& v = member(obj, key, prefix, Value::Type::Number);
    try {
      return v.as_int64();
    } catch (const ValueError&) {
      fail(str("\"", prefix, key, "\" is ", v.number_text(), ", not a 64-bit integer"));
    }
  }
  uint64_t get_uint(const Value& obj, const std::string& key, const std::string& prefix, uint64_t max) const {
    const Value& v = member(obj, key, prefix, Value::Type::Number);
    uint64_t u = 0;
    try {
      u = v.as_uint64();
    } catch (const ValueError&) {
      fail(str("\"", prefix, key, "\" is ", v.number_text(), ", not a non-negative integer"));
    }
    if (u > max) fail(str("\"", prefix, key, "\" is ", u, ", more than ", max));
    return u;
  }
  double get_double(const Value& v, const std::string& what) const {
    double d = 0;
    if (!v.is_string() || !parse_double_text(v.as_string(), &d))
      fail(str("\"", what, "\" is not a number written as a string"));
    return d;
  }
  optim::SchedulerStateDict read_pairs(const Value& doc, const std::string& key) const {
    optim::SchedulerStateDict out;
    for (const auto& [name, v] : member(doc, key, "", Value::Type::Object).as_object())
      out.emplace_back(name, get_double(v, key + "." + name));
    return out;
  }

  fs::path path_;
};

// A scheduler's (name, value) pairs as an object; members keep their order.
Value pairs_json(const optim::SchedulerStateDict& d) {
  Value o = Value::object();
  for (const auto& [k, v] : d) o.set(k, double_text(v));
  return o;
}

// The bytes of a data file recorded in the manifest: <file> or, when a save stopped
// between its commit and its renames, <file>.next; whichever matches size and CRC-32.
std::string read_recorded_file(const fs::path& path, const FileRecord& rec) {
  std::string problem;
  for (const fs::path& p : {path, pending_path(path)}) {
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) {
      if (problem.empty()) problem = "the file is missing";
      continue;
    }
    std::string bytes = io::read_file(p, "load_checkpoint");
    if (bytes.size() != rec.size) {
      if (p == path) problem = str("the file has ", bytes.size(), " bytes, the checkpoint recorded ", rec.size);
      continue;
    }
    if (io::crc32(bytes) != rec.crc32) {
      if (p == path) problem = "checksum mismatch (the file is corrupted)";
      continue;
    }
    return bytes;
  }
  throw IOError(str("load_checkpoint: '", path.string(), "': ", problem));
}

// Step 1 of saving: complete a committed save's renames, then remove uncommitted *.next files.
void finish_pending_save(const fs::path& dir) {
  std::error_code ec;
  std::optional<Manifest> committed;
  if (fs::exists(dir / kManifest, ec)) {
    try {
      committed = ManifestReader(dir / kManifest).read();
    } catch (const IOError&) {
      // An unreadable manifest commits nothing; the *.next files are stale.
    }
  }
  if (committed) {
    for (const auto& [name, rec] : committed->files) {
      const fs::path next = pending_path(dir / name);
      if (!fs::exists(next, ec)) continue;
      const std::string bytes = io::read_file(next, "save_checkpoint");
      if (bytes.size() != rec.size || io::crc32(bytes) != rec.crc32) continue;
      fs::rename(next, dir / name, ec);
      // Deleting this file below would lose the committed checkpoint: stop instead.
      SEEK_CHECK_T(IOError, !ec, "save_checkpoint: cannot complete the interrupted save in '", dir.string(),
                   "': renaming '", next.string(), "' failed: ", ec.message());
    }
  }
  for (const char* name : {kModelFile, kOptimizerFile}) fs::remove(pending_path(dir / name), ec);
  io::sync_directory(dir);
}

FileRecord write_tensors(const fs::path& path, const io::NamedTensors& tensors) {
  io::AtomicFileWriter out(path, "save_checkpoint");
  io::write_safetensors(out, tensors, {{"format", "pt"}});  // "pt": what PyTorch tooling expects
  FileRecord rec{out.bytes_written(), out.crc32()};
  out.commit();
  return rec;
}

std::vector<Device> generator_devices() {
  std::vector<Device> devices{kCPU};
  if (cuda::is_available())
    for (int i = 0; i < cuda::device_count(); ++i) devices.emplace_back(DeviceType::CUDA, i);
  return devices;
}

}  // namespace

bool checkpoint_exists(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / kManifest, ec);
}

void save_checkpoint(const fs::path& dir, const CheckpointParts& parts, const TrainingProgress& progress) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  SEEK_CHECK_T(IOError, fs::is_directory(dir, ec), "save_checkpoint: cannot create the folder '", dir.string(), "'",
               ec ? ": " + ec.message() : std::string());
  finish_pending_save(dir);

  Value doc = Value::object();
  doc.set("format", kFormat);
  doc.set("version", kVersion);
  doc.set("epoch", progress.epoch);
  doc.set("step", progress.step);
  Value values = Value::object();
  for (const auto& [k, v] : progress.values) values.set(k, double_text(v));
  doc.set("values", std::move(values));

  // Data files first, under their pending names.
  Value files = Value::object();
  std::vector<std::string> written;
  const auto add_file = [&](const char* name, const io::NamedTensors& tensors) {
    const FileRecord rec = write_tensors(pending_path(dir / name), tensors);
    Value r = Value::object();
    r.set("size", rec.size);
    r.set("crc32", static_cast<uint64_t>(rec.crc32));
    files.set(name, std::move(r));
    written.push_back(name);
  };
  if (parts.model) add_file(kModelFile, parts.model->state_dict());
  if (parts.optimizer) add_file(kOptimizerFile, parts.optimizer->state_dict());
  doc.set("files", std::move(files));

  if (parts.scheduler) doc.set("scheduler", pairs_json(parts.scheduler->state_dict()));
  if (parts.plateau) doc.set("plateau", pairs_json(parts.plateau->state_dict()));
  if (parts.grad_scaler) {
    const amp::GradScalerState state = parts.grad_scaler->state_dict();
    doc.set("grad_scaler", pairs_json(optim::SchedulerStateDict(state.begin(), state.end())));
  }
  if (parts.loader) {
    const data::DataLoaderState s = parts.loader->state();
    Value l = Value::object();
    l.set("epoch", static_cast<uint64_t>(s.epoch));
    l.set("next_batch", static_cast<uint64_t>(s.next_batch));
    doc.set("loader", std::move(l));
  }
  if (parts.generators) {
    Value gens = Value::object();
    for (const Device& d : generator_devices()) {
      const GeneratorState s = default_generator(d).state();
      Value g = Value::object();
      g.set("seed", s.seed);
      g.set("offset", s.offset);
      gens.set(d.str(), std::move(g));
    }
    doc.set("generators", std::move(gens));
  }
  doc.set("crc32", static_cast<uint64_t>(io::crc32(io::json::dump(doc))));

  // Commit, then move the data files to their final names.
  io::write_file_atomic(dir / kManifest, io::json::dump(doc, 2) + "\n", "save_checkpoint");
  for (const std::string& name : written) {
    fs::rename(pending_path(dir / name), dir / name, ec);
    SEEK_CHECK_T(IOError, !ec, "save_checkpoint: cannot rename '", pending_path(dir / name).string(), "' to '",
                 (dir / name).string(), "': ", ec.message());
  }
  io::sync_directory(dir);
}

TrainingProgress load_checkpoint(const fs::path& dir, const CheckpointParts& parts) {
  const fs::path manifest_path = dir / kManifest;
  SEEK_CHECK_T(IOError, checkpoint_exists(dir), "load_checkpoint: no checkpoint in '", dir.string(), "' (missing '",
               manifest_path.string(), "')");
  // Temp files of saves that were killed midway (their process is gone) are garbage.
  for (const char* name : {kManifest, kModelFile, kOptimizerFile}) {
    io::remove_stale_temp_files(dir / name);
    io::remove_stale_temp_files(pending_path(dir / name));
  }
  ManifestReader reader(manifest_path);
  const Manifest m = reader.read();
  const auto require = [&](bool saved, const char* part) {
    if (!saved) reader.fail(str("the checkpoint was saved without the ", part));
  };

  // ---- read and check everything ----
  nn::StateDict model_state;
  if (parts.model) {
    require(m.files.count(kModelFile) > 0, "model");
    const fs::path p = dir / kModelFile;
    auto contents = io::parse_safetensors(read_recorded_file(p, m.files.at(kModelFile)), p.string());
    std::map<std::string, Tensor> loaded(contents.tensors.begin(), contents.tensors.end());
    const nn::StateDict own = parts.model->state_dict();
    std::set<std::string> own_names;
    for (const auto& [name, t] : own) {
      own_names.insert(name);
      auto it = loaded.find(name);
      SEEK_CHECK_T(IOError, it != loaded.end(), "load_checkpoint: '", p.string(), "' lacks the model's '", name, "'");
      SEEK_CHECK_T(IOError, it->second.sizes() == t.sizes(), "load_checkpoint: '", p.string(), "': '", name,
                   "' has shape ", shape_str(it->second.sizes()), " but the model's has shape ", shape_str(t.sizes()));
      model_state.emplace_back(name, it->second.to(t.device(), t.dtype()));
    }
    for (const auto& [name, t] : contents.tensors)
      SEEK_CHECK_T(IOError, own_names.count(name), "load_checkpoint: '", p.string(), "' has '", name,
                   "', which the model does not have");
  }
  optim::OptimizerStateDict optimizer_state;
  if (parts.optimizer) {
    require(m.files.count(kOptimizerFile) > 0, "optimizer");
    const fs::path p = dir / kOptimizerFile;
    optimizer_state = io::parse_safetensors(read_recorded_file(p, m.files.at(kOptimizerFile)), p.string()).tensors;
  }
  if (parts.scheduler) require(m.scheduler.has_value(), "scheduler");
  if (parts.plateau) require(m.plateau.has_value(), "ReduceLROnPlateau scheduler");
  if (parts.loader) {
    require(m.loader.has_value(), "data loader");
    if (m.loader->next_batch > parts.loader->len())
      reader.fail(str("the data loader position is batch ", m.loader->next_batch, " but the loader has only ",
                      parts.loader->len(), " batches per epoch"));
  }
  if (parts.generators) require(m.generators.has_value(), "generator states");
  if (parts.grad_scaler && parts.grad_scaler->is_enabled()) {
    require(m.grad_scaler.has_value(), "grad scaler");
    amp::GradScaler probe = *parts.grad_scaler;  // checks the saved state without changing the scaler
    try {
      probe.load_state_dict(*m.grad_scaler);
    } catch (const ValueError& e) {
      reader.fail(str("the grad scaler state does not load: ", e.what()));
    }
  }

  // ---- apply, with snapshots to undo a part that still rejects its state ----
  nn::StateDict model_before;
  optim::OptimizerStateDict optimizer_before;
  optim::SchedulerStateDict scheduler_before, plateau_before;
  if (parts.model) {
    NoGradGuard no_grad;
    for (const auto& [name, t] : parts.model->state_dict()) model_before.emplace_back(name, t.detach().clone());
  }
  if (parts.optimizer) optimizer_before = parts.optimizer->state_dict();
  if (parts.scheduler) scheduler_before = parts.scheduler->state_dict();
  if (parts.plateau) plateau_before = parts.plateau->state_dict();
  int applied = 0;  // 1 model, 2 + optimizer, 3 + scheduler, 4 + plateau
  try {
    if (parts.model) parts.model->load_state_dict(model_state);
    applied = 1;
    if (parts.optimizer) parts.optimizer->load_state_dict(optimizer_state);
    applied = 2;
    if (parts.scheduler) parts.scheduler->load_state_dict(*m.scheduler);
    applied = 3;
    if (parts.plateau) parts.plateau->load_state_dict(*m.plateau);
    applied = 4;
  } catch (const Error& e) {
    // Undo in reverse order; the optimizer's own state (lrs included) is restored last.
    if (applied >= 3 && parts.plateau) parts.plateau->load_state_dict(plateau_before);
    if (applied >= 2 && parts.scheduler) parts.scheduler->load_state_dict(scheduler_before);
    if (applied >= 1 && parts.optimizer) parts.optimizer->load_state_dict(optimizer_before);
    if (parts.model) parts.model->load_state_dict(model_before);
    static const char* const part_names[] = {"model", "optimizer", "scheduler", "ReduceLROnPlateau scheduler"};
    throw IOError(str("load_checkpoint: the checkpoint in '", dir.string(), "' does not fit the ", part_names[applied],
                      ": ", e.what()));
  }
  if (parts.loader) parts.loader->load_state(*m.loader);
  if (parts.grad_scaler && parts.grad_scaler->is_enabled()) parts.grad_scaler->load_state_dict(*m.grad_scaler);
  if (parts.generators) {
    // Devices this process does not have (a GPU run resumed on fewer GPUs) are skipped.
    const std::vector<Device> present = generator_devices();
    for (const auto& [device, state] : *m.generators)
      for (const Device& d : present)
        if (d == device) default_generator(d).set_state(state);
  }
  return m.progress;
}

}  // namespace seek::train
