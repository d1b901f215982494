// seek::dist::TCPStore (seek/dist/store.h): the client side of every store (the master runs the server of
// tcp_store_server.cpp in its own process and is a client of it too, over loopback). One request at a time per
// store (a mutex), so replies come in order. Connecting retries until the timeout, since the master may start
// after its clients; a reply is awaited at most the request's own wait plus the store's timeout, so that a
// master that hangs (or a network that drops packets) is an error too, not a hang.
#include "seek/dist/store.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <atomic>
#include <mutex>
#include <thread>

#include "dist/tcp_store_wire.h"

namespace seek::dist {

using detail::StoreCmd;
using detail::WireReader;
using detail::WireWriter;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

std::string key_list(const std::vector<std::string>& keys) {
  std::string out = "[";
  for (size_t i = 0; i < keys.size(); ++i) out += (i ? ", '" : "'") + keys[i] + "'";
  return out + "]";
}

// One non-blocking connect to `ai`, at most until the deadline; the socket (blocking again) or -1 and errno.
int connect_once(const addrinfo* ai, Clock::time_point deadline, int& err) {
  const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
  if (fd < 0) {
    err = errno;
    return -1;
  }
  int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    const auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now()).count();
    rc = ::poll(&p, 1, static_cast<int>(std::clamp<int64_t>(left, 0, 1000)));
    if (rc == 1) {
      socklen_t len = sizeof(err);
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
    } else {
      err = ETIMEDOUT;
      rc = -1;
    }
  } else if (rc != 0) {
    err = errno;
  }
  if (rc != 0) {
    ::close(fd);
    return -1;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

}  // namespace

struct TCPStore::Impl {
  std::string host;
  int port = 0;
  bool is_master = false;
  std::atomic<int64_t> timeout_ms{0};  // atomic: set_timeout may run while another thread waits
  std::unique_ptr<detail::TCPStoreServer> server;
  std::mutex mutex;
  int fd = -1;

  std::string where() const { return detail::host_port(host, port); }

  void connect(const std::string& to) {
    const milliseconds timeout(timeout_ms.load());
    const auto deadline = Clock::now() + timeout;
    int err = 0;
    auto backoff = milliseconds(10);
    for (;;) {
      addrinfo hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* res = nullptr;
      const int gai = ::getaddrinfo(to.c_str(), std::to_string(port).c_str(), &hints, &res);
      if (gai != 0 && gai != EAI_AGAIN)
        throw Error(str("TCPStore: cannot resolve the host '", to, "' (store ", where(), "): ", ::gai_strerror(gai)));
      for (addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) fd = connect_once(ai, deadline, err);
      if (res) ::freeaddrinfo(res);
      if (fd >= 0) return;
      if (Clock::now() >= deadline)
        throw Error(str("TCPStore: could not connect to ", where(), " within ", timeout.count(),
                        " ms (last error: ", gai == EAI_AGAIN ? ::gai_strerror(gai) : std::strerror(err),
                        "); is the master store (rank 0, MASTER_ADDR/MASTER_PORT) running and reachable?"));
      std::this_thread::sleep_for(std::min(backoff, std::chrono::ceil<milliseconds>(deadline - Clock::now())));
      backoff = std::min(backoff * 2, milliseconds(250));
    }
  }

  void close_connection() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }

  [[noreturn]] void lost(const char* what) {
    close_connection();
    throw Error(str("TCPStore: ", what, ": the connection to ", where(),
                    " was closed (the master store is gone: rank 0 exited or destroyed it)"));
  }

  // Sends one request and returns its reply body; `wait` is how long the server may park it.
  std::string request(const WireWriter& req, const char* what, milliseconds wait = milliseconds(0)) {
    const std::string frame = req.frame();
    SEEK_CHECK_VALUE(frame.size() - 4 <= detail::kMaxStoreFrame, "TCPStore: ", what, ": a request of ",
                     frame.size() - 4, " bytes is more than the store takes (", detail::kMaxStoreFrame,
                     "): it is for rendezvous, not a data transport");
    std::lock_guard<std::mutex> lock(mutex);
    SEEK_CHECK(fd >= 0, "TCPStore: ", what, ": not connected to ", where(), " (an earlier request failed)");
    if (!detail::send_all(fd, frame)) lost(what);
    const auto deadline = Clock::now() + wait + milliseconds(timeout_ms.load());
    std::string in;
    char buf[65536];
    for (;;) {
      if (in.size() >= 4) {
        const uint32_t len = detail::frame_length(in.data());
        if (len > detail::kMaxStoreFrame) lost(what);
        if (in.size() >= 4 + size_t{len}) return in.substr(4, len);
      }
      pollfd p{fd, POLLIN, 0};
      const auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now()).count();
      if (left <= 0 || ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1 << 30))) == 0) {
        close_connection();  // the reply may still come: this connection is out of step now
        throw Error(str("TCPStore: ", what, ": no reply from ", where(), " within ",
                        (wait + milliseconds(timeout_ms.load())).count(), " ms"));
      }
      const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) lost(what);
      in.append(buf, static_cast<size_t>(n));
    }
  }
};

TCPStore::TCPStore(std::string host, int port, const TCPStoreOptions& options) : impl_(std::make_unique<Impl>()) {
  SEEK_CHECK_VALUE(!host.empty(), "TCPStore: host name is empty");
  SEEK_CHECK_VALUE(port >= 0 && port <= 65535, "TCPStore: port ", port, " is not in [0, 65535]");
  SEEK_CHECK_VALUE(options.is_master || port != 0, "TCPStore: a client needs the master's port (got 0)");
  SEEK_CHECK_VALUE(options.timeout.count() > 0, "TCPStore: timeout must be positive, got ", options.timeout.count(),
                   " ms");
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->is_master = options.is_master;
  impl_->timeout_ms = options.timeout.count();
  if (options.is_master) {
    impl_->server = std::make_unique<detail::TCPStoreServer>(impl_->host, port);
    impl_->port = impl_->server->port();
    impl_->connect("127.0.0.1");  // its own server, over loopback (the server listens on every interface)
    if (options.world_size > 0 && options.wait_for_workers) {
      const int n = impl_->server->wait_for_connections(options.world_size, Clock::now() + options.timeout);
      SEEK_CHECK(n >= options.world_size, "TCPStore: only ", n, " of world_size ", options.world_size,
                 " processes connected to ", impl_->where(), " within ", options.timeout.count(), " ms");
    }
  } else {
    impl_->connect(impl_->host);
  }
}

TCPStore::~TCPStore() {
  impl_->close_connection();
  impl_->server.reset();
}

void TCPStore::set(const std::string& key, const std::string& value) {
  SEEK_CHECK_VALUE(value.size() < detail::kMaxStoreFrame, "TCPStore: set('", key, "'): a value of ", value.size(),
                   " bytes is more than the store takes (", detail::kMaxStoreFrame,
                   "): it is for rendezvous, not a data transport");
  impl_->request(WireWriter().u8(static_cast<uint8_t>(StoreCmd::Set)).bytes(key).bytes(value), "set");
}

std::string TCPStore::get(const std::string& key) {
  const milliseconds t(impl_->timeout_ms.load());
  const std::string reply =
      impl_->request(WireWriter().u8(static_cast<uint8_t>(StoreCmd::Get)).bytes(key).i64(t.count()), "get", t);
  WireReader r(reply);
  SEEK_CHECK(r.u8() == 1, "TCPStore: get('", key, "') timed out after ", t.count(),
             " ms: no process set the key (store ", impl_->where(), ")");
  return r.bytes();
}

int64_t TCPStore::add(const std::string& key, int64_t delta) {
  const std::string reply =
      impl_->request(WireWriter().u8(static_cast<uint8_t>(StoreCmd::Add)).bytes(key).i64(delta), "add");
  WireReader r(reply);
  if (r.u8() != 1) throw Error(str("TCPStore: add('", key, "', ", delta, "): ", r.bytes()));
  return r.i64();
}

bool TCPStore::check(const std::vector<std::string>& keys) {
  return WireReader(impl_->request(WireWriter().u8(static_cast<uint8_t>(StoreCmd::Check)).strings(keys), "check"))
             .u8() == 1;
}

void TCPStore::wait(const std::vector<std::string>& keys) { wait(keys, timeout()); }

void TCPStore::wait(const std::vector<std::string>& keys, milliseconds timeout) {
  SEEK_CHECK_VALUE(timeout.count() >= 0, "TCPStore: wait: timeout must not be negative, got ", timeout.count(), " ms");
  const std::string reply = impl_->request(
      WireWriter().u8(static_cast<uint8_t>(StoreCmd::Wait)).strings(keys).i64(timeout.count()), "wait", timeout);
  WireReader r(reply);
  if (r.u8() == 1) return;
  throw Error(str("TCPStore: wait(", key_list(keys), ") timed out after ", timeout.count(),
                  " ms; missing: ", key_list(r.strings()), " (store ", impl_->where(), ")"));
}

bool TCPStore::delete_key(const std::string& key) {
  return WireReader(impl_->request(WireWriter().u8(static_cast<uint8_t>(StoreCmd::Delete)).bytes(key), "delete_key"))
             .u8() == 1;
}

int64_t TCPStore::num_keys() {
  return WireReader(impl_->request(WireWriter().u8(static_cast<uint8_t>(StoreCmd::NumKeys)), "num_keys")).i64();
}

const std::string& TCPStore::host() const { return impl_->host; }
int TCPStore::port() const { return impl_->port; }
bool TCPStore::is_master() const { return impl_->is_master; }
milliseconds TCPStore::timeout() const { return milliseconds(impl_->timeout_ms.load()); }
void TCPStore::set_timeout(milliseconds timeout) {
  SEEK_CHECK_VALUE(timeout.count() > 0, "TCPStore: timeout must be positive, got ", timeout.count(), " ms");
  impl_->timeout_ms = timeout.count();
}

}  // namespace seek::dist
