// 2-D convolution and its two gradients through oneDNN's convolution primitives, in place on
// tfjs's layouts: oneDNN's nhwc and hwio tags are exactly tfjs's NHWC input and output and HWIO
// filter, so nothing is reordered or copied. oneDNN threads the work over the OpenMP team.
#include <string>

#include "common.h"

namespace modalab {
namespace {

// Below this many flops a convolution runs on one thread (see Threads in common.h).
constexpr double kParallelFlops = 2e6;

enum Pass { kForward = 0, kBackwardInput = 1, kBackwardFilter = 2 };

bool PassOf(const std::string& name, Pass* pass) {
  if (name == "forward") *pass = kForward;
  else if (name == "backwardInput") *pass = kBackwardInput;
  else if (name == "backwardFilter") *pass = kBackwardFilter;
  else return false;
  return true;
}

// What a pass reads and writes, by the tensors of the forward convolution y = conv(x, w).
struct Shapes {
  dnnl_memory_desc_t x, w, y;
  dnnl_dims_t strides, dilates, padL, padR;
};

// The descriptor of `pass` (forward_training: the backward passes take it as their hint).
bool InitDesc(Pass pass, Shapes& s, dnnl_convolution_desc_t* desc) {
  switch (pass) {
    case kForward:
      return dnnl_dilated_convolution_forward_desc_init(desc, dnnl_forward_training, dnnl_convolution_direct, &s.x, &s.w, nullptr, &s.y, s.strides,
                                                        s.dilates, s.padL, s.padR) == dnnl_success;
    case kBackwardInput:
      return dnnl_dilated_convolution_backward_data_desc_init(desc, dnnl_convolution_direct, &s.x, &s.w, &s.y, s.strides, s.dilates, s.padL, s.padR) ==
             dnnl_success;
    case kBackwardFilter:
      return dnnl_dilated_convolution_backward_weights_desc_init(desc, dnnl_convolution_direct, &s.x, &s.w, nullptr, &s.y, s.strides, s.dilates, s.padL,
                                                                 s.padR) == dnnl_success;
  }
  return false;
}

// oneDNN's API takes the forward primitive descriptor as a hint for a backward one (to check
// the two are compatible); it is made only on a cache miss, so it costs nothing per call.
bool CreateConv(napi_env env, Pass pass, Shapes& s, Primitive* out) {
  Dnnl* dnnl = GetDnnl(env);
  if (dnnl == nullptr) return false;
  dnnl_convolution_desc_t forward, desc;
  if (!InitDesc(kForward, s, &forward) || !InitDesc(pass, s, &desc)) return ThrowError(env, "conv2d: oneDNN rejected the shapes"), false;
  dnnl_primitive_desc_t hint = nullptr, pd = nullptr;
  dnnl_status_t st = dnnl_success;
  if (pass != kForward) st = dnnl_primitive_desc_create(&hint, &forward, nullptr, dnnl->engine, nullptr);
  if (st == dnnl_success) st = dnnl_primitive_desc_create(&pd, pass == kForward ? &forward : &desc, nullptr, dnnl->engine, hint);
  if (st == dnnl_success) st = dnnl_primitive_create(&out->primitive, pd);
  if (pd != nullptr) dnnl_primitive_desc_destroy(pd);
  if (hint != nullptr) dnnl_primitive_desc_destroy(hint);
  if (st != dnnl_success) return ThrowError(env, DnnlError("conv2d: creating the primitive", st)), false;
  return true;
}

// conv2d(heap, pass, xOffset, filterOffset, yOffset, geometry) with geometry [batch, inH, inW,
// inC, outH, outW, outC, filterH, filterW, strideH, strideW, dilationH, dilationW, padTop,
// padLeft] (dilations counted as tfjs does: 1 is none). Each pass writes one tensor:
//   forward         y = conv(x, filter)
//   backwardInput   x = dL/dx from dy (at yOffset) and filter
//   backwardFilter  filter = dL/dfilter from x and dy (at yOffset)
napi_value Conv2d(napi_env env, napi_callback_info info) {
  Args args(env, info, 6, "conv2d");
  size_t length = 0;
  uint8_t* heap = args.Heap(0, &length);
  const std::string passName = args.String(1, "pass");
  const int64_t xOff = args.Int(2, "xOffset"), wOff = args.Int(3, "filterOffset"), yOff = args.Int(4, "yOffset");
  const std::vector<int64_t> g = args.Ints(5, "geometry");
  Pass pass = kForward;
  if (args.ok && !PassOf(passName, &pass)) args.Fail("unknown pass '" + passName + "'");
  if (args.ok && g.size() != 15) args.Fail("geometry must have 15 entries");
  if (!args.ok) return nullptr;
  const int64_t n = g[0], ih = g[1], iw = g[2], ic = g[3], oh = g[4], ow = g[5], oc = g[6], fh = g[7], fw = g[8];
  const int64_t sh = g[9], sw = g[10], dh = g[11], dw = g[12], padTop = g[13], padLeft = g[14];
  for (size_t i = 0; i < 13; i++) {
    if (g[i] <= 0) return args.Fail("sizes, strides and dilations must be positive (empty tensors stay on wasm)"), nullptr;
  }
  // tfjs's padInfo.bottom/right need not fit the output size: after a floor the last rows may go
  // unread, after a 'ceil' the last window reaches past them. oneDNN insists on
  // out = (in + padL + padR - extent) / stride + 1, so the far side's padding comes from the
  // output size; negative means rows no window reads.
  const int64_t padBottom = (oh - 1) * sh + (fh - 1) * dh + 1 - ih - padTop;
  const int64_t padRight = (ow - 1) * sw + (fw - 1) * dw + 1 - iw - padLeft;
  if (padTop < 0 || padLeft < 0 || padBottom <= -sh || padRight <= -sw) return args.Fail("padding does not fit the output size"), nullptr;

  float* x = HeapFloats(args, heap, length, xOff, n * ih * iw * ic, "x");
  float* w = HeapFloats(args, heap, length, wOff, fh * fw * ic * oc, "filter");
  float* y = HeapFloats(args, heap, length, yOff, n * oh * ow * oc, "y");
  if (!args.ok) return nullptr;

  const double flops = 2.0 * static_cast<double>(n * oh * ow * oc) * static_cast<double>(fh * fw * ic);
  const int threads = flops >= kParallelFlops ? MaxThreads() : 1;
  Threads scope(threads);
  std::vector<int64_t> key = {-6, pass, threads};
  key.insert(key.end(), g.begin(), g.end());
  Primitive* p = Cache().Find(key);
  if (p == nullptr) {
    Shapes s;
    const int64_t xDims[4] = {n, ic, ih, iw}, wDims[4] = {oc, ic, fh, fw}, yDims[4] = {n, oc, oh, ow};
    if (dnnl_memory_desc_init_by_tag(&s.x, 4, xDims, dnnl_f32, dnnl_nhwc) != dnnl_success ||
        dnnl_memory_desc_init_by_tag(&s.w, 4, wDims, dnnl_f32, dnnl_hwio) != dnnl_success ||
        dnnl_memory_desc_init_by_tag(&s.y, 4, yDims, dnnl_f32, dnnl_nhwc) != dnnl_success) {
      return ThrowError(env, "conv2d: oneDNN rejected the shapes");
    }
    s.strides[0] = sh, s.strides[1] = sw;
    s.dilates[0] = dh - 1, s.dilates[1] = dw - 1;  // oneDNN counts the gaps: 0 is no dilation
    s.padL[0] = padTop, s.padL[1] = padLeft;
    s.padR[0] = padBottom, s.padR[1] = padRight;
    Primitive created;
    if (!CreateConv(env, pass, s, &created)) return nullptr;
    switch (pass) {
      case kForward: created.argKinds = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST}; break;
      case kBackwardInput: created.argKinds = {DNNL_ARG_DIFF_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_DST}; break;
      case kBackwardFilter: created.argKinds = {DNNL_ARG_SRC, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_DST}; break;
    }
    created.mds = {s.x, s.w, s.y};
    p = Cache().Insert(key, std::move(created));
  }
  Execute(env, p, {x, w, y});
  return nullptr;
}

}  // namespace

void RegisterConv(napi_env env, napi_value exports) { SetFunction(env, exports, "conv2d", Conv2d); }

}  // namespace modalab
