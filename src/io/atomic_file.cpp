// Atomic file replacement (temp file + fsync + rename + fsync of the folder) and file reading.
#include "seek/io/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "seek/core/error.h"

namespace seek::io {
namespace {

std::atomic<uint64_t> temp_counter{0};

}  // namespace

void sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // some file systems do not allow opening folders; the rename already happened
  ::fsync(fd);
  ::close(fd);
}

uint32_t crc32(std::string_view data, uint32_t crc) {
  uLong c = crc;
  size_t done = 0;
  while (done < data.size()) {
    const auto chunk = static_cast<uInt>(std::min<size_t>(data.size() - done, 1u << 30));
    c = ::crc32(c, reinterpret_cast<const Bytef*>(data.data() + done), chunk);
    done += chunk;
  }
  return static_cast<uint32_t>(c);
}

size_t remove_stale_temp_files(const std::filesystem::path& path) {
  if (!path.has_filename()) return 0;
  const std::string prefix = "." + path.filename().string() + ".tmp-";
  const std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  std::error_code ec;
  std::vector<std::filesystem::path> stale;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    // The rest must be <pid>-<n>, both decimal.
    const std::string rest = name.substr(prefix.size());
    const size_t dash = rest.find('-');
    if (dash == 0 || dash == std::string::npos || dash + 1 == rest.size() || dash > 10) continue;
    if (rest.find_first_not_of("0123456789-") != std::string::npos || rest.find('-', dash + 1) != std::string::npos)
      continue;
    const long pid = std::stol(rest.substr(0, dash));
    if (pid <= 0 || pid == ::getpid()) continue;
    // kill(pid, 0) fails with ESRCH only when no such process exists (EPERM: it runs as another user).
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    stale.push_back(it->path());
  }
  size_t removed = 0;
  for (const auto& p : stale) removed += std::filesystem::remove(p, ec) ? 1 : 0;
  return removed;
}

AtomicFileWriter::AtomicFileWriter(std::filesystem::path path, std::string who)
    : path_(std::move(path)), who_(std::move(who)) {
  SEEK_CHECK_T(IOError, path_.has_filename(), who_, ": '", path_.string(), "' does not name a file");
  remove_stale_temp_files(path_);
  const std::string name = str(".", path_.filename().string(), ".tmp-", ::getpid(), "-", temp_counter++);
  temp_ = path_.parent_path() / name;
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    const int err = errno;
    throw IOError(
        str(who_, ": cannot write '", path_.string(), "': cannot create '", temp_.string(), "': ", std::strerror(err)));
  }
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

void AtomicFileWriter::fail(const std::string& what, int err) {
  throw IOError(str(who_, ": cannot write '", path_.string(), "': ", what, ": ", std::strerror(err)));
}

void AtomicFileWriter::write(const void* data, size_t n) {
  SEEK_CHECK_T(IOError, fd_ >= 0 && !committed_, who_, ": '", path_.string(), "' was already committed");
  const auto* p = static_cast<const char*>(data);
  crc_ = io::crc32(std::string_view(p, n), crc_);
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::write(fd_, p + done, std::min<size_t>(n - done, 1u << 30));
    if (r < 0) {
      if (errno == EINTR) continue;
      fail("write failed", errno);
    }
    done += static_cast<size_t>(r);
  }
  written_ += n;
}

void AtomicFileWriter::commit() {
  SEEK_CHECK_T(IOError, fd_ >= 0 && !committed_, who_, ": '", path_.string(), "' was already committed");
  if (::fsync(fd_) != 0) fail("fsync failed", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("close failed", errno);
  if (::rename(temp_.c_str(), path_.c_str()) != 0) fail("rename failed", errno);
  committed_ = true;
  sync_directory(path_.parent_path());
}

void write_file_atomic(const std::filesystem::path& path, std::string_view data, const std::string& who) {
  AtomicFileWriter w(path, who);
  w.write(data);
  w.commit();
}

std::string read_file(const std::filesystem::path& path, const std::string& who) {
  std::error_code ec;
  SEEK_CHECK_T(IOError, std::filesystem::is_regular_file(path, ec), who, ": '", path.string(),
               "' does not exist or is not a regular file");
  std::ifstream in(path, std::ios::binary);
  SEEK_CHECK_T(IOError, in.good(), who, ": cannot open '", path.string(), "': ", std::strerror(errno));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  SEEK_CHECK_T(IOError, size >= 0, who, ": cannot determine the size of '", path.string(), "'");
  in.seekg(0, std::ios::beg);
  std::string data(static_cast<size_t>(size), '\0');
  in.read(data.data(), size);
  SEEK_CHECK_T(IOError, in.gcount() == size, who, ": '", path.string(), "': read ", in.gcount(), " of ", size,
               " bytes");
  return data;
}

}  // namespace seek::io
