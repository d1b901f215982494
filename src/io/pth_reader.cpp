// PyTorch zip checkpoints (seek/io/pth_reader.h): a restricted unpickler over data.pkl.
//
// The unpickler is a stack machine over a small set of opcodes (those of protocols 2-4 that
// torch.save emits for tensors and containers). GLOBAL names are checked against an allow-list
// the moment they are read, so a pickle that names os.system or a user class fails there and
// nothing is ever called; REDUCE only "calls" the allowed globals, each implemented here.
#include "seek/io/pth_reader.h"

#include <cstring>
#include <limits>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/io/atomic_file.h"
#include "seek/io/zip_reader.h"
#include "seek/ops/creation.h"

namespace seek::io::pth {
namespace {

using Kind = Object::Kind;

// Storage classes torch writes in persistent ids, and their dtypes.
struct StorageType {
  const char* name;
  DType dtype;
};
constexpr StorageType kStorageTypes[] = {
    {"FloatStorage", kFloat32},     {"DoubleStorage", kFloat64}, {"HalfStorage", kFloat16},
    {"BFloat16Storage", kBFloat16}, {"LongStorage", kInt64},     {"IntStorage", kInt32},
    {"CharStorage", kInt8},         {"ByteStorage", kUInt8},     {"BoolStorage", kBool},
};
// Storage classes that exist in torch but have no seek dtype: named in the error.
constexpr const char* kUnsupportedStorages[] = {"ShortStorage", "ComplexFloatStorage", "ComplexDoubleStorage",
                                                "QInt8Storage", "QUInt8Storage",       "QInt32Storage"};

// What an allowed global stands for (Object::global).
enum Global {
  kOrderedDict,
  kRebuildTensor,
  kRebuildParameter,
  kRebuildParameterWithState,
  kSet,
  kFrozenSet,
  kDict,
  kList,
  kTuple,
  kSize,
  kStorage
};

constexpr size_t kMaxObjects = 100'000'000;
constexpr int kMaxDepth = 1000;

class Unpickler {
 public:
  Unpickler(std::string_view pickle, const ZipReader& zip, std::string prefix, std::string source, PthFile* out)
      : p_(pickle), zip_(zip), prefix_(std::move(prefix)), source_(std::move(source)), out_(out) {}

  const Object* run() {
    while (true) {
      const uint8_t op = u8();
      switch (op) {
        case 0x80: u8(); break;                            // PROTO
        case 0x95: le(8); break;                           // FRAME (a length only)
        case '.': return finish();                         // STOP
        case '(': marks_.push_back(stack_.size()); break;  // MARK
        case '0': pop(); break;                            // POP
        case '1': pop_mark(); break;                       // POP_MARK
        case '2': push(top()); break;                      // DUP
        case 'N': push(make(Kind::None)); break;
        case 0x88: push(make_bool(true)); break;                       // NEWTRUE
        case 0x89: push(make_bool(false)); break;                      // NEWFALSE
        case 'J': push(make_int(static_cast<int32_t>(le(4)))); break;  // BININT
        case 'K': push(make_int(static_cast<int64_t>(le(1)))); break;  // BININT1
        case 'M': push(make_int(static_cast<int64_t>(le(2)))); break;  // BININT2
        case 0x8a: push(long_int(le(1))); break;                       // LONG1
        case 0x8b: push(long_int(le(4))); break;                       // LONG4
        case 'G': {                                                    // BINFLOAT (big-endian)
          uint64_t bits = 0;
          for (char c : take(8)) bits = (bits << 8) | static_cast<unsigned char>(c);
          Object* o = make(Kind::Float);
          std::memcpy(&o->number, &bits, 8);
          push(o);
          break;
        }
        case 'X': push(make_text(Kind::String, take(le(4)))); break;    // BINUNICODE
        case 0x8c: push(make_text(Kind::String, take(le(1)))); break;   // SHORT_BINUNICODE
        case 0x8d: push(make_text(Kind::String, take(le(8)))); break;   // BINUNICODE8
        case 'B': push(make_text(Kind::Bytes, take(le(4)))); break;     // BINBYTES
        case 'C': push(make_text(Kind::Bytes, take(le(1)))); break;     // SHORT_BINBYTES
        case 0x8e: push(make_text(Kind::Bytes, take(le(8)))); break;    // BINBYTES8
        case ']': push(make(Kind::List)); break;                        // EMPTY_LIST
        case ')': push(make(Kind::Tuple)); break;                       // EMPTY_TUPLE
        case '}': push(make(Kind::Dict)); break;                        // EMPTY_DICT
        case 0x8f: push(make(Kind::Set)); break;                        // EMPTY_SET
        case 'l': push(make_seq(Kind::List, pop_mark())); break;        // LIST
        case 't': push(make_seq(Kind::Tuple, pop_mark())); break;       // TUPLE
        case 0x91: push(make_seq(Kind::FrozenSet, pop_mark())); break;  // FROZENSET
        case 0x85:
        case 0x86:
        case 0x87: {  // TUPLE1..3
          const size_t n = op - 0x84u;
          const size_t floor = marks_.empty() ? 0 : marks_.back();
          if (stack_.size() - floor < n) fail(str("TUPLE", n, " on a stack of ", stack_.size() - floor, " values"));
          std::vector<Object*> items(stack_.end() - static_cast<ptrdiff_t>(n), stack_.end());
          stack_.resize(stack_.size() - n);
          push(make_seq(Kind::Tuple, items));
          break;
        }
        case 'd': {  // DICT
          Object* o = make(Kind::Dict);
          add_pairs(o, pop_mark());
          push(o);
          break;
        }
        case 'a': {  // APPEND
          Object* v = pop();
          add_items(top(), {v});
          break;
        }
        case 'e': {  // APPENDS
          std::vector<Object*> items = pop_mark();
          add_items(top(), items);
          break;
        }
        case 0x90: {  // ADDITEMS
          std::vector<Object*> items = pop_mark();
          Object* set = top();
          if (set->kind != Kind::Set) fail("ADDITEMS on something that is not a set");
          add_items(set, items);
          break;
        }
        case 's': {  // SETITEM
          Object* v = pop();
          Object* k = pop();
          add_pairs(top(), {k, v});
          break;
        }
        case 'u': {  // SETITEMS
          std::vector<Object*> items = pop_mark();
          add_pairs(top(), items);
          break;
        }
        case 'q': put(le(1)); break;          // BINPUT
        case 'r': put(le(4)); break;          // LONG_BINPUT
        case 0x94: put(memo_.size()); break;  // MEMOIZE
        case 'h': get(le(1)); break;          // BINGET
        case 'j': get(le(4)); break;          // LONG_BINGET
        case 'c': {                           // GLOBAL "module\nname\n"
          const std::string module = line();
          const std::string name = line();
          push(global(module, name));
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          Object* name = pop();
          Object* module = pop();
          if (name->kind != Kind::String || module->kind != Kind::String) fail("STACK_GLOBAL without string names");
          push(global(module->text, name->text));
          break;
        }
        case 'Q': push(persistent_load(pop())); break;  // BINPERSID
        case 'R': {                                     // REDUCE
          Object* args = pop();
          Object* fn = pop();
          push(reduce(fn, args));
          break;
        }
        case 'b': {  // BUILD: only the _metadata dict torch sets on state_dict OrderedDicts (dropped)
          Object* state = pop();
          Object* target = top();
          if ((target->kind != Kind::Dict && target->kind != Kind::OrderedDict) ||
              (state->kind != Kind::Dict && state->kind != Kind::None))
            fail(str("BUILD (setting an object's attributes) on ", kind_noun(target), " is not allowed"));
          break;
        }
        default:
          fail(str("pickle opcode ", opcode_name(op), " is not allowed (seek reads only tensors and containers)"));
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    throw IOError(str("load: '", source_, "': ", problem, " (data.pkl byte ", pos_, ")"));
  }

  static std::string opcode_name(uint8_t op) {
    char buf[24];
    if (op >= 0x21 && op < 0x7f)
      std::snprintf(buf, sizeof buf, "'%c' (0x%02x)", op, op);
    else
      std::snprintf(buf, sizeof buf, "0x%02x", op);
    return buf;
  }
  static std::string kind_noun(const Object* o) {
    static const char* const names[] = {"None",  "a bool",      "an int",   "a float",  "a str",
                                        "bytes", "a list",      "a tuple",  "a dict",   "an OrderedDict",
                                        "a set", "a frozenset", "a tensor", "a global", "a storage"};
    if (o->kind == Kind::Global) return str("the global '", o->text, "'");
    return names[static_cast<int>(o->kind)];
  }

  // ---- input ----
  uint8_t u8() {
    if (pos_ >= p_.size()) fail("the pickle ends before its STOP opcode");
    return static_cast<uint8_t>(p_[pos_++]);
  }
  std::string_view take(uint64_t n) {
    if (n > p_.size() - pos_) fail(str("the pickle ends inside a ", n, "-byte field"));
    std::string_view s = p_.substr(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return s;
  }
  uint64_t le(int n) {
    const std::string_view b = take(static_cast<uint64_t>(n));
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[static_cast<size_t>(i)]);
    return v;
  }
  std::string line() {
    const size_t e = p_.find('\n', pos_);
    if (e == std::string_view::npos || e - pos_ > 256) fail("a malformed GLOBAL");
    std::string s(p_.substr(pos_, e - pos_));
    pos_ = e + 1;
    return s;
  }

  // ---- values ----
  Object* make(Kind k) {
    if (out_->objects.size() >= kMaxObjects) fail("more than 100 million objects");
    out_->objects.push_back(std::make_unique<Object>());
    out_->objects.back()->kind = k;
    return out_->objects.back().get();
  }
  Object* make_bool(bool b) {
    Object* o = make(Kind::Bool);
    o->boolean = b;
    return o;
  }
  Object* make_int(int64_t v) {
    Object* o = make(Kind::Int);
    o->integer = v;
    return o;
  }
  Object* make_text(Kind k, std::string_view s) {
    Object* o = make(k);
    o->text = std::string(s);
    return o;
  }
  Object* make_seq(Kind k, const std::vector<Object*>& items) {
    Object* o = make(k);
    o->items.assign(items.begin(), items.end());
    return o;
  }
  Object* long_int(uint64_t n) {  // little-endian two's complement of n bytes
    const std::string_view b = take(n);
    if (n > 8) fail(str("an integer of ", n, " bytes does not fit in 64 bits"));
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;) v = (v << 8) | static_cast<unsigned char>(b[i]);
    if (n > 0 && n < 8 && (static_cast<unsigned char>(b[n - 1]) & 0x80)) v |= ~uint64_t{0} << (8 * n);
    return make_int(static_cast<int64_t>(v));
  }
  void push(Object* o) { stack_.push_back(o); }
  Object* pop() {
    if (stack_.empty() || (!marks_.empty() && marks_.back() == stack_.size()))
      fail("the pickle pops a value the stack does not have");
    Object* o = stack_.back();
    stack_.pop_back();
    return o;
  }
  Object* top() {
    if (stack_.empty() || (!marks_.empty() && marks_.back() == stack_.size()))
      fail("the pickle reads a value the stack does not have");
    return stack_.back();
  }
  std::vector<Object*> pop_mark() {
    if (marks_.empty()) fail("no MARK on the stack");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<Object*> items(stack_.begin() + static_cast<ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return items;
  }
  void add_items(Object* seq, const std::vector<Object*>& items) {
    if (seq->kind != Kind::List && seq->kind != Kind::Set) fail(str("APPEND to ", kind_noun(seq)));
    seq->items.insert(seq->items.end(), items.begin(), items.end());
  }
  void add_pairs(Object* dict, const std::vector<Object*>& items) {
    if (dict->kind != Kind::Dict && dict->kind != Kind::OrderedDict) fail(str("SETITEM on ", kind_noun(dict)));
    if (items.size() % 2) fail("SETITEMS with an odd number of values");
    for (size_t i = 0; i < items.size(); i += 2) dict->members.emplace_back(items[i], items[i + 1]);
  }
  void put(uint64_t index) {
    if (memo_.size() > p_.size()) fail("more memo entries than the pickle has bytes");
    memo_[index] = top();
  }
  void get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail(str("memo index ", index, " was never stored"));
    push(it->second);
  }

  // ---- globals and calls ----
  Object* global(const std::string& module, const std::string& name) {
    Object* o = make(Kind::Global);
    o->text = module + "." + name;
    const bool builtins = module == "builtins" || module == "__builtin__";
    struct Allowed {
      const char* module;
      const char* name;
      int id;
    };
    static const Allowed allowed[] = {
        {"collections", "OrderedDict", kOrderedDict},
        {"torch._utils", "_rebuild_tensor_v2", kRebuildTensor},
        {"torch._utils", "_rebuild_parameter", kRebuildParameter},
        {"torch._utils", "_rebuild_parameter_with_state", kRebuildParameterWithState},
        {"torch", "Size", kSize},
    };
    for (const auto& a : allowed)
      if (module == a.module && name == a.name) o->global = a.id;
    if (builtins) {
      if (name == "set") o->global = kSet;
      if (name == "frozenset") o->global = kFrozenSet;
      if (name == "dict") o->global = kDict;
      if (name == "list") o->global = kList;
      if (name == "tuple") o->global = kTuple;
    }
    if (module == "torch") {
      for (const auto& s : kStorageTypes)
        if (name == s.name) {
          o->global = kStorage;
          o->storage_dtype = s.dtype;
        }
      for (const char* s : kUnsupportedStorages)
        if (name == s) fail(str("the file holds a torch.", name, ", whose dtype seek does not have"));
    }
    if (o->global < 0)
      fail(str("the pickle refers to the global '", o->text,
               "', which seek's restricted unpickler does not allow: it reads only tensors, numbers, strings and "
               "containers (a file that needs it is not a plain state_dict or checkpoint, or is malicious)"));
    return o;
  }

  // ('storage', torch.<T>Storage, key, location, numel) -> the bytes of <prefix>/data/<key>.
  Object* persistent_load(const Object* pid) {
    const auto& it = pid->items;
    if (pid->kind != Kind::Tuple || it.size() != 5 || it[0]->kind != Kind::String || it[0]->text != "storage" ||
        it[1]->kind != Kind::Global || it[1]->global != kStorage || it[2]->kind != Kind::String ||
        it[3]->kind != Kind::String || it[4]->kind != Kind::Int || it[4]->integer < 0)
      fail("a persistent id that is not ('storage', torch.<Type>Storage, key, location, numel)");
    const DType dtype = it[1]->storage_dtype;
    const std::string& key = it[2]->text;
    const uint64_t numel = static_cast<uint64_t>(it[4]->integer);
    auto found = storages_.find(key);
    if (found != storages_.end()) {
      if (found->second->tensor.dtype() != dtype || static_cast<uint64_t>(found->second->tensor.numel()) != numel)
        fail(str("storage '", key, "' is used with two different types or sizes"));
      return found->second;
    }
    const ZipReader::Entry* e = zip_.find(prefix_ + "data/" + key);
    if (!e) fail(str("the archive lacks the storage '", prefix_, "data/", key, "'"));
    uint64_t nbytes = 0;
    if (__builtin_mul_overflow(numel, static_cast<uint64_t>(dtype_size(dtype)), &nbytes) || nbytes != e->size)
      fail(str("storage '", key, "' should hold ", numel, " elements of ", dtype_name(dtype), " but its entry has ",
               e->size, " bytes"));
    const std::string bytes = zip_.read(*e);
    Object* o = make(Kind::Storage);
    o->tensor = empty({static_cast<int64_t>(numel)}, dtype);
    if (nbytes) std::memcpy(o->tensor.data_ptr(), bytes.data(), bytes.size());
    if (dtype == kBool)
      for (size_t i = 0; i < bytes.size(); ++i)
        if (static_cast<unsigned char>(bytes[i]) > 1) fail(str("storage '", key, "': a bool byte is not 0 or 1"));
    storages_.emplace(key, o);
    return o;
  }

  static bool int_tuple(const Object* o, std::vector<int64_t>* out) {
    if (o->kind != Kind::Tuple && o->kind != Kind::List) return false;
    for (const Object* i : o->items) {
      if (i->kind != Kind::Int) return false;
      out->push_back(i->integer);
    }
    return true;
  }

  // _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks[, metadata]).
  Object* rebuild_tensor(const Object* args) {
    const auto& a = args->items;
    std::vector<int64_t> size, stride;
    if (a.size() < 6 || a.size() > 7 || a[0]->kind != Kind::Storage || a[1]->kind != Kind::Int ||
        !int_tuple(a[2], &size) || !int_tuple(a[3], &stride) || a[4]->kind != Kind::Bool)
      fail("_rebuild_tensor_v2 with arguments other than (storage, offset, size, stride, requires_grad, hooks)");
    if (size.size() != stride.size() || size.size() > 64) fail("a tensor whose size and stride do not match");
    const Tensor& base = a[0]->tensor;
    const int64_t offset = a[1]->integer;
    // The last element the view reaches must lie in the storage (a zero size reaches none).
    bool empty_view = false;
    int64_t last = offset;
    for (size_t d = 0; d < size.size(); ++d) {
      if (size[d] < 0 || stride[d] < 0) fail(str("a tensor with a negative size or stride"));
      if (size[d] == 0) empty_view = true;
    }
    if (offset < 0) fail("a tensor with a negative storage offset");
    if (!empty_view) {
      for (size_t d = 0; d < size.size(); ++d) {
        int64_t step = 0;
        if (__builtin_mul_overflow(size[d] - 1, stride[d], &step) || __builtin_add_overflow(last, step, &last))
          fail("a tensor whose extent overflows");
      }
      if (last >= base.numel())
        fail(str("a tensor of size ", shape_str(size), ", stride ", shape_str(stride), " and offset ", offset,
                 " reaches beyond its storage of ", base.numel(), " elements"));
    } else if (offset > base.numel()) {
      fail("an empty tensor whose offset lies beyond its storage");
    }
    Object* o = make(Kind::Tensor);
    o->tensor = base.as_strided(size, stride, offset);
    o->requires_grad = a[4]->boolean;
    return o;
  }

  Object* reduce(Object* fn, Object* args) {
    if (fn->kind != Kind::Global) fail(str("REDUCE calls ", kind_noun(fn), ", which is not callable"));
    if (args->kind != Kind::Tuple) fail(str("REDUCE of '", fn->text, "' with arguments that are not a tuple"));
    const auto& a = args->items;
    switch (fn->global) {
      case kOrderedDict:
      case kDict: {
        Object* d = make(fn->global == kOrderedDict ? Kind::OrderedDict : Kind::Dict);
        if (a.empty()) return d;
        if (a.size() == 1 && (a[0]->kind == Kind::List || a[0]->kind == Kind::Tuple)) {
          for (const Object* pair : a[0]->items) {
            if (pair->kind != Kind::Tuple && pair->kind != Kind::List) fail(str(fn->text, "() of a non-pair"));
            if (pair->items.size() != 2) fail(str(fn->text, "() of a non-pair"));
            d->members.emplace_back(pair->items[0], pair->items[1]);
          }
          return d;
        }
        if (a.size() == 1 && (a[0]->kind == Kind::Dict || a[0]->kind == Kind::OrderedDict)) {
          d->members = a[0]->members;
          return d;
        }
        fail(str(fn->text, "() with unsupported arguments"));
      }
      case kSet:
      case kFrozenSet:
      case kList:
      case kTuple:
      case kSize: {
        const Kind k = fn->global == kSet         ? Kind::Set
                       : fn->global == kFrozenSet ? Kind::FrozenSet
                       : fn->global == kList      ? Kind::List
                                                  : Kind::Tuple;
        Object* o = make(k);
        if (a.empty()) return o;
        if (a.size() == 1 && (a[0]->kind == Kind::List || a[0]->kind == Kind::Tuple || a[0]->kind == Kind::Set ||
                              a[0]->kind == Kind::FrozenSet)) {
          o->items = a[0]->items;
          return o;
        }
        fail(str(fn->text, "() with unsupported arguments"));
      }
      case kRebuildTensor: return rebuild_tensor(args);
      case kRebuildParameter:
      case kRebuildParameterWithState: {
        if (a.size() < 3 || a[0]->kind != Kind::Tensor || a[1]->kind != Kind::Bool)
          fail(str(fn->text, " with arguments other than (tensor, requires_grad, hooks)"));
        Object* o = make(Kind::Tensor);
        o->tensor = a[0]->tensor;
        o->requires_grad = a[1]->boolean;
        o->is_parameter = true;
        return o;
      }
      default: fail(str("the global '", fn->text, "' cannot be called"));
    }
  }

  // The value left on the stack, checked to hold only public kinds (no globals or storages).
  const Object* finish() {
    if (stack_.size() != 1 || !marks_.empty()) fail(str("STOP with ", stack_.size(), " values on the stack"));
    std::unordered_set<const Object*> seen;
    std::vector<std::pair<const Object*, int>> todo{{stack_[0], 0}};
    while (!todo.empty()) {
      auto [o, depth] = todo.back();
      todo.pop_back();
      if (!seen.insert(o).second) continue;
      if (depth > kMaxDepth) fail(str("containers nested deeper than ", kMaxDepth, " levels"));
      if (o->kind == Kind::Global) fail(str("the global '", o->text, "' is stored as a value"));
      if (o->kind == Kind::Storage) fail("a storage is stored as a value, not inside a tensor");
      for (const Object* i : o->items) todo.emplace_back(i, depth + 1);
      for (const auto& [k, v] : o->members) {
        todo.emplace_back(k, depth + 1);
        todo.emplace_back(v, depth + 1);
      }
    }
    return stack_[0];
  }

  std::string_view p_;
  size_t pos_ = 0;
  const ZipReader& zip_;
  std::string prefix_, source_;
  PthFile* out_;
  std::vector<Object*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Object*> memo_;
  std::unordered_map<std::string, Object*> storages_;
};

}  // namespace

std::string sniff_torch_format(std::string_view b) {
  if (looks_like_zip(b)) return "zip";
  if (b.size() >= 262 && b.substr(257, 5) == "ustar") return "legacy-tar";
  // torch's legacy stream starts with its magic number pickled as LONG1: 80 <proto> 8a 0a.
  if (b.size() >= 4 && static_cast<unsigned char>(b[0]) == 0x80 && static_cast<unsigned char>(b[1]) >= 2 &&
      static_cast<unsigned char>(b[1]) <= 5 && static_cast<unsigned char>(b[2]) == 0x8a && b[3] == 0x0a)
    return "legacy-pickle";
  return "";
}

PthFile parse_pth(std::string_view bytes, const std::string& source) {
  const std::string kind = sniff_torch_format(bytes);
  if (kind == "legacy-pickle" || kind == "legacy-tar")
    throw IOError(str("load: '", source, "' is in PyTorch's legacy ", kind == "legacy-tar" ? "tar" : "raw-pickle",
                      " format (torch < 1.6, or _use_new_zipfile_serialization=False), which seek does not read; "
                      "re-save it with a current torch.save (the zip format)"));
  if (kind != "zip") throw IOError(str("load: '", source, "' is not a PyTorch zip checkpoint"));
  ZipReader zip(bytes, source);
  // torch names the archive's folder after the file; data.pkl is in it.
  const ZipReader::Entry* pkl = nullptr;
  std::string prefix;
  for (const auto& e : zip.entries()) {
    const size_t slash = e.name.find('/');
    if (slash != std::string::npos && e.name.compare(slash, std::string::npos, "/data.pkl") == 0) {
      pkl = &e;
      prefix = e.name.substr(0, slash + 1);
      break;
    }
  }
  if (!pkl)
    throw IOError(str("load: '", source, "': the zip archive has no <folder>/data.pkl (not a torch.save file)"));
  if (const ZipReader::Entry* order = zip.find(prefix + "byteorder")) {
    if (zip.read(*order) != "little")
      throw IOError(str("load: '", source, "': the tensors were saved big-endian, which seek does not read"));
  }
  const std::string pickle = zip.read(*pkl);
  NoGradGuard no_grad;
  PthFile out;
  Unpickler u(pickle, zip, prefix, source, &out);
  out.root = u.run();
  return out;
}

PthFile load_pth(const std::filesystem::path& path) {
  const std::string bytes = io::read_file(path, "load");
  return parse_pth(bytes, path.string());
}

}  // namespace seek::io::pth
