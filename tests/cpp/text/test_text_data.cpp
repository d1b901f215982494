#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "seek/core/error.h"
#include "seek/text/text_data.h"

namespace fs = std::filesystem;
using namespace seek::text;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("seek_text_data_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  void write(const std::string& rel, const std::string& text) const {
    fs::create_directories((path / rel).parent_path());
    std::ofstream(path / rel, std::ios::binary) << text;
  }
};

}  // namespace

TEST(TextFolder, ClassesFromSortedFoldersDocumentsSortedByPath) {
  TempDir d;
  d.write("sport/002.txt", "Second match report.");
  d.write("sport/001.txt", "First match report.");
  d.write("business/001.TXT", "Shares rose.");
  d.write("business/notes.md", "ignored: not a .txt");
  d.write("tech/sub/001.txt", "Nested files count too.");
  const TextFolder f(d.path.string());
  EXPECT_EQ(f.classes(), (std::vector<std::string>{"business", "sport", "tech"}));
  EXPECT_EQ(f.texts(), (std::vector<std::string>{"Shares rose.", "First match report.", "Second match report.",
                                                 "Nested files count too."}));
  EXPECT_EQ(f.labels(), (std::vector<int64_t>{0, 1, 1, 2}));
  EXPECT_EQ(f.class_to_idx().at("tech"), 2);
  EXPECT_THROW(f.text(4), seek::IndexError);
}

TEST(TextFolder, BadFoldersAndTextAreClearErrors) {
  TempDir d;
  EXPECT_THROW(TextFolder((d.path / "missing").string()), seek::IOError);
  EXPECT_THROW(TextFolder(d.path.string()), seek::IOError);  // no class folder
  d.write("a/1.txt", "fine");
  fs::create_directories(d.path / "b");
  try {
    TextFolder f(d.path.string());
    FAIL() << "an empty class must be an error";
  } catch (const seek::IOError& e) {
    EXPECT_NE(std::string(e.what()).find("'b'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(TextFolder(d.path.string(), TextFolderOptions{.allow_empty = true}).size(), 1u);
  d.write("b/bad.txt", std::string("caf\xe9 latin-1"));
  try {
    TextFolder f(d.path.string());
    FAIL() << "latin-1 text must be an error";
  } catch (const seek::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.txt"), std::string::npos) << e.what();
  }
  TextFolderOptions repair;
  repair.replace_invalid_utf8 = true;
  EXPECT_EQ(TextFolder(d.path.string(), repair).text(1), "caf\xef\xbf\xbd latin-1");
}

TEST(ReadCorpus, SplitsFilesAndSkipsBinaries) {
  TempDir d;
  d.write("corpus/a.txt", "First paragraph\nstill first.\n\n\nSecond one.\n");
  d.write("corpus/fortunes", "A saying.\n%\nAnother\n  -- someone\n%\n");
  d.write("corpus/fortunes.dat", std::string("\0\0\x02\xff", 4));
  EXPECT_EQ(read_corpus({(d.path / "corpus/a.txt").string()}),
            (std::vector<std::string>{"First paragraph\nstill first.", "Second one."}));
  EXPECT_EQ(read_corpus({(d.path / "corpus/a.txt").string()}, CorpusSplit::Lines),
            (std::vector<std::string>{"First paragraph", "still first.", "Second one."}));
  EXPECT_EQ(read_corpus({(d.path / "corpus/fortunes").string()}, CorpusSplit::Fortunes),
            (std::vector<std::string>{"A saying.", "Another\n  -- someone"}));
  // A folder: its files in order, binary ones skipped.
  EXPECT_EQ(read_corpus({(d.path / "corpus").string()}, CorpusSplit::Documents).size(), 2u);
  EXPECT_THROW(read_corpus({(d.path / "nope").string()}), seek::IOError);
}
