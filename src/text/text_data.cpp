#include "seek/text/text_data.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "seek/core/error.h"
#include "text/unicode_text.h"

namespace seek::text {

namespace fs = std::filesystem;

namespace {

std::string read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  SEEK_CHECK_T(IOError, f.good(), "cannot open '", p.string(), "'");
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool valid_utf8(std::string_view s) {
  try {
    unicode::decode_utf8(s);
    return true;
  } catch (const ValueError&) {
    return false;
  }
}

// Invalid bytes become U+FFFD, one per byte.
std::string repair_utf8(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    size_t n = 1;
    const auto b = static_cast<unsigned char>(s[i]);
    if (b >= 0xC0) n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
    if (i + n <= s.size() && valid_utf8(s.substr(i, n))) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      unicode::append_utf8(out, 0xFFFD);
      ++i;
    }
  }
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string_view s) {
  const auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  size_t a = 0, b = s.size();
  while (a < b && ws(s[a])) ++a;
  while (b > a && ws(s[b - 1])) --b;
  return std::string(s.substr(a, b - a));
}

std::vector<fs::path> files_below(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TextFolder::TextFolder(const std::string& root, TextFolderOptions options) {
  SEEK_CHECK_T(IOError, fs::is_directory(root), "TextFolder: '", root, "' is not a folder");
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory()) classes_.push_back(e.path().filename().string());
  std::sort(classes_.begin(), classes_.end());
  SEEK_CHECK_T(IOError, !classes_.empty(), "TextFolder: '", root, "' has no class folder");
  std::vector<std::string> exts;
  for (const auto& x : options.extensions) exts.push_back(lower(x));
  for (size_t c = 0; c < classes_.size(); ++c) {
    class_to_idx_[classes_[c]] = static_cast<int64_t>(c);
    size_t found = 0;
    for (const fs::path& p : files_below(fs::path(root) / classes_[c])) {
      if (std::find(exts.begin(), exts.end(), lower(p.extension().string())) == exts.end()) continue;
      std::string text = read_bytes(p);
      if (!valid_utf8(text)) {
        SEEK_CHECK_VALUE(options.replace_invalid_utf8, "TextFolder: '", p.string(),
                         "' is not UTF-8 text (set replace_invalid_utf8 to read it anyway)");
        text = repair_utf8(text);
      }
      texts_.push_back(std::move(text));
      paths_.push_back(p.string());
      labels_.push_back(static_cast<int64_t>(c));
      ++found;
    }
    SEEK_CHECK_T(IOError, found > 0 || options.allow_empty, "TextFolder: the class folder '", classes_[c], "' of '",
                 root, "' holds no document");
  }
}

const std::string& TextFolder::text(size_t i) const {
  SEEK_CHECK_T(IndexError, i < texts_.size(), "TextFolder: index ", i, " out of range for ", texts_.size(),
               " documents");
  return texts_[i];
}

int64_t TextFolder::label(size_t i) const {
  SEEK_CHECK_T(IndexError, i < labels_.size(), "TextFolder: index ", i, " out of range for ", labels_.size(),
               " documents");
  return labels_[i];
}

std::vector<std::string> read_corpus(const std::vector<std::string>& paths, CorpusSplit split) {
  std::vector<fs::path> files;
  for (const std::string& p : paths) {
    SEEK_CHECK_T(IOError, fs::exists(p), "read_corpus: '", p, "' does not exist");
    if (fs::is_directory(p)) {
      for (fs::path& f : files_below(p)) files.push_back(std::move(f));
    } else {
      files.emplace_back(p);
    }
  }
  std::vector<std::string> out;
  auto add = [&](std::string_view piece) {
    std::string t = trim(piece);
    if (!t.empty()) out.push_back(std::move(t));
  };
  for (const fs::path& f : files) {
    const std::string text = read_bytes(f);
    if (!valid_utf8(text) || text.find('\0') != std::string::npos) continue;  // binary files (indexes)
    if (split == CorpusSplit::Documents) {
      add(text);
      continue;
    }
    std::string piece;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const bool boundary = split == CorpusSplit::Lines      ? true
                            : split == CorpusSplit::Fortunes ? line == "%"
                                                             : trim(line).empty();
      if (split == CorpusSplit::Lines) {
        add(line);
      } else if (boundary) {
        add(piece);
        piece.clear();
      } else {
        piece += line;
        piece += '\n';
      }
    }
    add(piece);
  }
  return out;
}

}  // namespace seek::text
