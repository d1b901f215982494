#pragma once
// Text on disk: a text-classification folder (one sub-folder per class, one document per .txt file,
// like torchvision's ImageFolder) and plain-text corpora (files split into documents, paragraphs,
// lines or fortune-file entries) for language-model pre-training.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace seek::text {

struct TextFolderOptions {
  std::vector<std::string> extensions = {".txt"};  // compared case-insensitively
  bool allow_empty = false;                        // a class folder without documents is an error unless true
  // Bytes that are not UTF-8 are an error (naming the file) unless true; then they are replaced by U+FFFD.
  bool replace_invalid_utf8 = false;
};

// Class names are the sub-folder names in sorted (byte-wise) order; the documents are the files below each
// class folder, sorted by path. IOError when root is not a folder, has no class folder, or (unless
// allow_empty) a class holds no document; ValueError for text that is not UTF-8.
class TextFolder {
 public:
  explicit TextFolder(const std::string& root, TextFolderOptions options = {});
  size_t size() const { return texts_.size(); }
  const std::string& text(size_t i) const;  // IndexError out of range
  int64_t label(size_t i) const;
  const std::vector<std::string>& texts() const { return texts_; }
  const std::vector<int64_t>& labels() const { return labels_; }
  const std::vector<std::string>& paths() const { return paths_; }
  const std::vector<std::string>& classes() const { return classes_; }
  const std::map<std::string, int64_t>& class_to_idx() const { return class_to_idx_; }

 private:
  std::vector<std::string> texts_, paths_, classes_;
  std::vector<int64_t> labels_;
  std::map<std::string, int64_t> class_to_idx_;
};

// How read_corpus splits a file: the whole file, blank-line separated paragraphs, lines, or the
// entries of a fortune(6) file (separated by lines holding only "%"). Pieces are trimmed; empty ones dropped.
enum class CorpusSplit { Documents, Paragraphs, Lines, Fortunes };

// The pieces of every file (a folder: its regular files below it, sorted, that are valid UTF-8 text;
// binary files such as fortune's .dat indexes are skipped). IOError for a missing path.
std::vector<std::string> read_corpus(const std::vector<std::string>& paths,
                                     CorpusSplit split = CorpusSplit::Paragraphs);

}  // namespace seek::text
