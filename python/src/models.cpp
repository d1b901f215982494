// seek._C.models: the model constructors of seek/models (like torchvision.models), with
// torchvision's keyword names. Each returns a module whose state_dict keys match torch's.
#include "nn_common.h"

#include "seek/models/mobilenet_v3.h"
#include "seek/models/resnet.h"

namespace seek::python {

void init_models_bert(py::module_& mm);  // models_bert.cpp

namespace {

using Ctor = std::shared_ptr<models::ResNet> (*)(int64_t, int64_t, bool);

void def_resnet(py::module_& m, const char* name, Ctor ctor, const char* doc) {
  m.def(
      name,
      [ctor](int64_t num_classes, int64_t in_channels, bool small_input) {
        return ctor(num_classes, in_channels, small_input);
      },
      py::arg("num_classes") = 1000, py::arg("in_channels") = 3, py::arg("small_input") = false, doc);
}

}  // namespace

void init_models(py::module_& m) {
  py::module_ mm = m.def_submodule("models", "Model constructors (wrapped by seek.models)");
  py::class_<models::ResNet, nn::Module, std::shared_ptr<models::ResNet>>(mm, "ResNet",
                                                                          "ResNet with torchvision's names.")
      .def(
          "forward", [](models::ResNet& r, const Tensor& x) { return r.forward(x); }, py::arg("input"),
          py::call_guard<py::gil_scoped_release>());
  py::class_<models::BasicBlock, nn::Module, std::shared_ptr<models::BasicBlock>>(mm, "BasicBlock");
  py::class_<models::Bottleneck, nn::Module, std::shared_ptr<models::Bottleneck>>(mm, "Bottleneck");
  def_resnet(mm, "resnet18", &models::resnet18,
             "ResNet-18. small_input: 3x3 stride-1 stem without max pool (for 28x28 / 32x32 images).");
  def_resnet(mm, "resnet34", &models::resnet34, "ResNet-34 (see resnet18).");
  def_resnet(mm, "resnet50", &models::resnet50, "ResNet-50, bottleneck blocks (see resnet18).");
  def_resnet(mm, "resnet18d", &models::resnet18d, "ResNet-18-D: deep stem, average-pool shortcuts (timm's names).");
  def_resnet(mm, "resnet34d", &models::resnet34d, "ResNet-34-D (see resnet18d).");
  def_resnet(mm, "resnet50d", &models::resnet50d, "ResNet-50-D (see resnet18d).");
  auto cifar = [&](const char* name, auto ctor, const char* doc) {
    mm.def(
        name,
        [ctor, name](int64_t num_classes, int64_t in_channels, const std::string& shortcut) {
          if (shortcut != "projection" && shortcut != "zero_pad")
            throw py::value_error(std::string(name) + ": shortcut must be 'projection' or 'zero_pad', got '" +
                                  shortcut + "'");
          return ctor(num_classes, in_channels,
                      shortcut == "projection" ? models::ShortcutType::Projection : models::ShortcutType::ZeroPad);
        },
        py::arg("num_classes") = 10, py::arg("in_channels") = 3, py::arg("shortcut") = "projection", doc);
  };
  cifar("resnet20", &models::resnet20,
        "CIFAR ResNet-20: 16/32/64 channels, 3 BasicBlocks per stage; shortcut 'projection' (1x1 conv + bn, "
        "272,474 parameters for 10 classes) or 'zero_pad' (the paper's option A).");
  cifar("resnet56", &models::resnet56, "CIFAR ResNet-56: 9 BasicBlocks per stage (see resnet20).");

  py::class_<models::MobileNetV3, nn::Module, std::shared_ptr<models::MobileNetV3>>(
      mm, "MobileNetV3", "MobileNetV3 with torchvision's names.")
      .def(
          "forward", [](models::MobileNetV3& r, const Tensor& x) { return r.forward(x); }, py::arg("input"),
          py::call_guard<py::gil_scoped_release>());
  auto mobilenet = [&](const char* name, auto ctor) {
    mm.def(
        name,
        [ctor](int64_t num_classes, int64_t in_channels, bool small_input, double dropout) {
          models::MobileNetV3Options o;
          o.num_classes = num_classes;
          o.in_channels = in_channels;
          o.small_input = small_input;
          o.dropout = dropout;
          return ctor(o);
        },
        py::arg("num_classes") = 1000, py::arg("in_channels") = 3, py::arg("small_input") = false,
        py::arg("dropout") = 0.2);
  };
  mobilenet("mobilenet_v3_small", &models::mobilenet_v3_small);
  mobilenet("mobilenet_v3_large", &models::mobilenet_v3_large);
  init_models_bert(mm);
}

}  // namespace seek::python
