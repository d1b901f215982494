// _C._distributed.TCPStore: seek/dist/store.h for seek.distributed.TCPStore (torch.distributed.TCPStore's API).
// Values are bytes (set takes str or bytes, get returns bytes); every call that may wait releases the GIL.
#include <pybind11/chrono.h>
#include <pybind11/stl.h>

#include <optional>

#include "bind.h"
#include "seek/dist/store.h"

namespace seek::python {

void init_dist_store(py::module_& d) {
  using dist::TCPStore;
  using ms = std::chrono::milliseconds;
  py::class_<TCPStore>(d, "TCPStore",
                       "A key-value store over TCP for rendezvous: the master (is_master=True) serves it on "
                       "host_name:port (port 0: a free port, see .port), every process connects to it")
      .def(py::init([](const std::string& host, int port, std::optional<int> world_size, bool is_master, ms timeout,
                       bool wait_for_workers) {
             dist::TCPStoreOptions o;
             o.is_master = is_master;
             o.world_size = world_size.value_or(-1);
             o.wait_for_workers = wait_for_workers;
             o.timeout = timeout;
             py::gil_scoped_release release;
             return std::make_unique<TCPStore>(host, port, o);
           }),
           py::arg("host_name"), py::arg("port"), py::arg("world_size") = py::none(), py::arg("is_master") = false,
           py::arg("timeout") = ms(std::chrono::seconds(300)), py::arg("wait_for_workers") = true)
      .def(
          "set",
          [](TCPStore& s, const std::string& key, const std::string& value) {
            py::gil_scoped_release release;
            s.set(key, value);
          },
          py::arg("key"), py::arg("value"))
      .def(
          "get",
          [](TCPStore& s, const std::string& key) {
            std::string v;
            {
              py::gil_scoped_release release;
              v = s.get(key);
            }
            return py::bytes(v);
          },
          py::arg("key"))
      .def(
          "add",
          [](TCPStore& s, const std::string& key, int64_t amount) {
            py::gil_scoped_release release;
            return s.add(key, amount);
          },
          py::arg("key"), py::arg("amount"))
      .def(
          "check",
          [](TCPStore& s, const std::vector<std::string>& keys) {
            py::gil_scoped_release release;
            return s.check(keys);
          },
          py::arg("keys"))
      .def(
          "wait",
          [](TCPStore& s, const std::vector<std::string>& keys, std::optional<ms> timeout) {
            py::gil_scoped_release release;
            s.wait(keys, timeout.value_or(s.timeout()));
          },
          py::arg("keys"), py::arg("timeout") = py::none())
      .def(
          "delete_key",
          [](TCPStore& s, const std::string& key) {
            py::gil_scoped_release release;
            return s.delete_key(key);
          },
          py::arg("key"))
      .def("num_keys",
           [](TCPStore& s) {
             py::gil_scoped_release release;
             return s.num_keys();
           })
      .def("set_timeout", &TCPStore::set_timeout, py::arg("timeout"))
      .def_property_readonly("timeout", &TCPStore::timeout)
      .def_property_readonly("host", &TCPStore::host)
      .def_property_readonly("port", &TCPStore::port)
      .def_property_readonly("is_master", &TCPStore::is_master);
}

}  // namespace seek::python
