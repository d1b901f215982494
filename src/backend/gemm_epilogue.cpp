// Backend::gemm_epilogue's default: the fused linear layer composed from the backend's own
// entries (the CPU runs this): out = bias broadcast over the rows, then out = a @ b + 1 * out
// (the GEMM rounds once, like addmm), aux = out, then the activation in place. A backend with a
// library epilogue (cuBLASLt) overrides it.
#include "backend/gemm_epilogue.h"

#include "seek/autograd/grad_mode.h"
#include "seek/backend/backend.h"

namespace seek {

void Backend::gemm_epilogue(GemmEpilogue ep, const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& out,
                            const Tensor& aux) {
  backend_detail::check_gemm_epilogue(a, b, bias, out, aux);
  if (out.numel() == 0) return;
  NoGradGuard no_grad;  // the views below are plumbing, never history
  copy(bias.unsqueeze(0).expand(out.sizes()), out);
  gemm(a.unsqueeze(0), b.unsqueeze(0), out.unsqueeze(0), 1.0, 1.0);
  if (aux.defined()) copy(out, aux);
  if (ep != GemmEpilogue::Bias) unary(ep == GemmEpilogue::BiasRelu ? UnaryOp::Relu : UnaryOp::GeluTanh, out, out, {});
}

}  // namespace seek
