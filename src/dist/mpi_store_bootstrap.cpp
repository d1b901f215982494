// MpiStoreBootstrap (mpi_store_bootstrap.h): Open MPI singletons joined into one communicator through a TCPStore
// and an ompi-server that rank 0 starts.
#include "dist/mpi_store_bootstrap.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "dist/mpi_engine.h"
#include "seek/core/error.h"

namespace seek::dist::detail {
namespace {

constexpr const char* kUriVar = "OMPI_MCA_pmix_server_uri";

std::mutex g_server_mutex;
pid_t g_server_pid = -1;  // rank 0's ompi-server, for the process's lifetime
std::string g_server_uri;

void stop_server_at_exit() {
  if (g_server_pid <= 0) return;
  ::kill(g_server_pid, SIGTERM);
  ::waitpid(g_server_pid, nullptr, 0);
  g_server_pid = -1;
}

std::string find_in_path(const char* name) {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    const size_t end = std::min(p.find(':', start), p.size());
    const std::string full = str(end == start ? "." : p.substr(start, end - start), "/", name);
    if (::access(full.c_str(), X_OK) == 0) return full;
    start = end + 1;
  }
  return "";
}

// Reads a whole (small) file; "" when it does not exist.
std::string read_file(const std::string& path) {
  std::string text;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof(buf))) > 0;) text.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return text;
}

// Starts `ompi-server --no-daemonize -r FILE` (it writes its URI into FILE, its messages into a log next to it)
// and returns the URI; the server gets SIGTERM when this process exits (at exit, or from the kernel if it dies).
std::string start_ompi_server(std::chrono::milliseconds timeout) {
  const std::string exe = find_in_path("ompi-server");
  SEEK_CHECK(!exe.empty(),
             "init_process_group: a torch-style launch (RANK/WORLD_SIZE without mpirun) of the 'mpi' backend needs "
             "Open MPI's ompi-server in PATH to join the processes; it was not found (or start them with mpirun)");
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = str(tmp && *tmp ? tmp : "/tmp", "/seek-ompi-server-XXXXXX");
  SEEK_CHECK(::mkdtemp(dir.data()) != nullptr, "init_process_group: mkdtemp ", dir, ": ", std::strerror(errno));
  const std::string uri_file = dir + "/uri", log_file = dir + "/log";
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {  // only async-signal-safe calls until exec
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    const int log = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (log >= 0) {
      ::dup2(log, 1);
      ::dup2(log, 2);
    }
    const char* argv[] = {"ompi-server", "--no-daemonize", "-r", uri_file.c_str(), nullptr};
    ::execv(exe.c_str(), const_cast<char* const*>(argv));
    ::_exit(127);
  }
  SEEK_CHECK(pid > 0, "init_process_group: cannot start ompi-server: ", std::strerror(errno));
  // The URI ("<jobid>;tcp://host:port;...") is complete once its line ends.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string uri;
  const char* failure = nullptr;
  for (auto pause = std::chrono::milliseconds(1);; pause = std::min(pause * 2, std::chrono::milliseconds(50))) {
    uri = read_file(uri_file);
    if (!uri.empty() && uri.back() == '\n') break;
    if (::waitpid(pid, nullptr, WNOHANG) == pid) {
      failure = "exited before reporting its URI";
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      failure = "did not report its URI in time";
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(pause);
  }
  const std::string log = read_file(log_file);
  ::unlink(uri_file.c_str());
  ::unlink(log_file.c_str());
  ::rmdir(dir.c_str());
  if (failure)
    throw Error(str("init_process_group: ompi-server (", exe, ") ", failure, log.empty() ? "" : ": ", log,
                    ::geteuid() == 0 ? " (as root, Open MPI needs OMPI_ALLOW_RUN_AS_ROOT=1 and "
                                       "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1)"
                                     : ""));
  uri.pop_back();
  g_server_pid = pid;
  std::atexit(stop_server_at_exit);
  return uri;
}

}  // namespace

MpiStoreBootstrap::MpiStoreBootstrap(const LaunchEnv& env, std::chrono::milliseconds timeout)
    : env_(env), timeout_(timeout), store_(launch_store(env, timeout)) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (env.rank == 0) {
    std::lock_guard<std::mutex> lock(g_server_mutex);
    try {
      if (g_server_uri.empty()) g_server_uri = start_ompi_server(timeout);
    } catch (const Error& e) {
      store_->set("seek/mpi/ompi_server_uri", str("!", e.what()));  // the other ranks fail with it too
      throw;
    }
    store_->set("seek/mpi/ompi_server_uri", g_server_uri);
  }
  const std::string uri = store_->get("seek/mpi/ompi_server_uri");
  SEEK_CHECK(uri.empty() || uri[0] != '!', "init_process_group: rank 0 failed: ", uri.substr(1));
  const char* current = std::getenv(kUriVar);
  if (initialized) {
    // A second process group in this process: MPI read the URI at MPI_Init; the server is still rank 0's.
    SEEK_CHECK(current != nullptr && uri == current,
               "init_process_group: MPI was initialised in this process before "
               "without rank 0's ompi-server (",
               kUriVar, "); a torch-style launch needs seek to initialise MPI");
    return;
  }
  ::setenv(kUriVar, uri.c_str(), 1);
}

MPI_Comm MpiStoreBootstrap::connect() {
  const int rank = env_.rank, size = env_.world_size;
  TCPStore& s = *store_;
  MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);  // failures become seek::Error, not an abort
  auto wait = [&](const std::string& key, const std::string& what) {
    try {
      s.wait({key});
    } catch (const Error& e) {
      throw Error(str("init_process_group: rank ", rank, " of ", size, " timed out after ", timeout_.count(),
                      " ms waiting for ", what, " (", e.what(), ")"));
    }
  };
  char port[MPI_MAX_PORT_NAME] = {0};
  MPI_Comm comm = MPI_COMM_NULL, inter = MPI_COMM_NULL;
  if (rank == 0) {
    mpi_check(MPI_Open_port(MPI_INFO_NULL, port), "MPI_Open_port");
    s.set("seek/mpi/port", port);
    mpi_check(MPI_Comm_dup(MPI_COMM_SELF, &comm), "MPI_Comm_dup");
  } else {
    s.set(str("seek/mpi/ready/", rank), "");
    wait(str("seek/mpi/accept/", rank), str("ranks 0..", rank - 1, " to accept it"));
    const std::string name = s.get("seek/mpi/port");
    SEEK_CHECK(name.size() < MPI_MAX_PORT_NAME, "init_process_group: MPI port name too long");
    std::memcpy(port, name.data(), name.size());
    mpi_check(MPI_Comm_connect(port, MPI_INFO_NULL, 0, MPI_COMM_SELF, &inter), "MPI_Comm_connect");
    mpi_check(MPI_Intercomm_merge(inter, 1, &comm), "MPI_Intercomm_merge");
    MPI_Comm_free(&inter);
  }
  MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
  // The ranks joined so far accept rank k together, once rank k has said it is about to connect.
  for (int k = rank + 1; k < size; ++k) {
    if (rank == 0) {
      wait(str("seek/mpi/ready/", k), str("rank ", k, " to start (is it running, with the same MASTER_ADDR/PORT?)"));
      s.set(str("seek/mpi/accept/", k), "");
    } else {
      wait(str("seek/mpi/accept/", k), str("rank ", k, " to start"));
    }
    mpi_check(MPI_Comm_accept(port, MPI_INFO_NULL, 0, comm, &inter), "MPI_Comm_accept");
    MPI_Comm merged = MPI_COMM_NULL;
    mpi_check(MPI_Intercomm_merge(inter, 0, &merged), "MPI_Intercomm_merge");
    MPI_Comm_free(&inter);
    MPI_Comm_free(&comm);
    comm = merged;
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
  }
  if (rank == 0) MPI_Close_port(port);
  // Rank 0 closes the store once every rank is done with it, before anybody leaves init_process_group (the
  // engine's MPI_Comm_idup waits for rank 0): a later init_process_group's clients can only find its new store.
  if (rank != 0 && s.add("seek/mpi/done", 1) == size - 1) s.set("seek/mpi/all_done", "");
  if (rank == 0 && size > 1) wait("seek/mpi/all_done", "every rank to finish joining");
  store_.reset();
  int r = -1, n = 0;
  MPI_Comm_rank(comm, &r);
  MPI_Comm_size(comm, &n);
  SEEK_CHECK(r == rank && n == size, "init_process_group: joining the MPI singletons gave rank ", r, " of ", n,
             ", expected ", rank, " of ", size);
  return comm;
}

}  // namespace seek::dist::detail
