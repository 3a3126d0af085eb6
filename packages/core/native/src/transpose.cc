// Transpose of any rank, in place on the wasm heap. Axes of size 1 are dropped and input axes
// that stay neighbours are merged first, so attention's [B, T, H, Dh] -> [B, H, T, Dh] becomes
// rows of Dh contiguous values (memcpy), and a moved last axis becomes a tiled 2D transpose.
// Work is split over the OpenMP team when it is large enough to pay for the fork.
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "common.h"

namespace modalab {
namespace {

// Below this many elements one thread is faster than waking the team.
constexpr int64_t kParallelElements = 1 << 17;
constexpr int64_t kTile = 32;

struct Plan {
  std::vector<int64_t> outDims;   // collapsed output dims
  std::vector<int64_t> inStride;  // input stride (elements) of each output axis
};

Plan Collapse(const std::vector<int64_t>& shape, const std::vector<int64_t>& perm) {
  const std::vector<int64_t> strides = DenseStrides(shape);
  Plan p;
  for (int64_t axis : perm) {
    const int64_t dim = shape[axis], stride = strides[axis];
    if (dim == 1) continue;
    // The previous output axis continues into this one in the input: merge them.
    if (!p.outDims.empty() && p.inStride.back() == stride * dim) {
      p.outDims.back() *= dim;
      p.inStride.back() = stride;
      continue;
    }
    p.outDims.push_back(dim);
    p.inStride.push_back(stride);
  }
  if (p.outDims.empty()) {
    p.outDims.push_back(1);
    p.inStride.push_back(1);
  }
  return p;
}

// Input offset of output item `index` over the axes [0, upto), row-major.
inline int64_t InputOffset(const Plan& p, int64_t index, size_t upto) {
  int64_t off = 0;
  for (size_t d = upto; d-- > 0;) {
    off += (index % p.outDims[d]) * p.inStride[d];
    index /= p.outDims[d];
  }
  return off;
}

template <typename T>
void Run(const T* in, T* out, const Plan& p) {
  const size_t r = p.outDims.size();
  const int64_t total = Volume(p.outDims);
  const int threads = total >= kParallelElements ? omp_get_max_threads() : 1;
  if (p.inStride[r - 1] == 1) {
    // The last axis is contiguous in both: copy rows.
    const int64_t row = p.outDims[r - 1], rows = total / row;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < rows; i++) std::memcpy(out + i * row, in + InputOffset(p, i, r - 1), row * sizeof(T));
    return;
  }
  // Output axis q has the input's smallest stride (1 unless size-1 axes were dropped): tiles
  // read along it and write along the output's last axis, which reads with stride s.
  size_t q = 0;
  for (size_t d = 0; d + 1 < r; d++)
    if (p.inStride[d] < p.inStride[q]) q = d;
  const int64_t nq = p.outDims[q], nl = p.outDims[r - 1], s = p.inStride[r - 1], sq = p.inStride[q];
  int64_t outStrideQ = 1;
  for (size_t d = q + 1; d < r; d++) outStrideQ *= p.outDims[d];
  // Outer items: every output axis except q and r-1, in order.
  Plan outer;
  std::vector<int64_t> outerOutStride;
  {
    const std::vector<int64_t> outStrides = DenseStrides(p.outDims);
    for (size_t d = 0; d + 1 < r; d++) {
      if (d == q) continue;
      outer.outDims.push_back(p.outDims[d]);
      outer.inStride.push_back(p.inStride[d]);
      outerOutStride.push_back(outStrides[d]);
    }
  }
  const int64_t items = Volume(outer.outDims);
  const int64_t tilesQ = (nq + kTile - 1) / kTile, tilesL = (nl + kTile - 1) / kTile;
#pragma omp parallel for num_threads(threads) schedule(static) collapse(2)
  for (int64_t item = 0; item < items; item++) {
    for (int64_t t = 0; t < tilesQ * tilesL; t++) {
      int64_t inBase = 0, outBase = 0, rest = item;
      for (size_t d = outer.outDims.size(); d-- > 0;) {
        const int64_t c = rest % outer.outDims[d];
        rest /= outer.outDims[d];
        inBase += c * outer.inStride[d];
        outBase += c * outerOutStride[d];
      }
      const int64_t i0 = (t / tilesL) * kTile, j0 = (t % tilesL) * kTile;
      const int64_t i1 = std::min(i0 + kTile, nq), j1 = std::min(j0 + kTile, nl);
      for (int64_t i = i0; i < i1; i++) {
        T* o = out + outBase + i * outStrideQ;
        const T* x = in + inBase + i * sq;
        for (int64_t j = j0; j < j1; j++) o[j] = x[j * s];
      }
    }
  }
}

// transpose(heap, xOffset, outOffset, shape, perm, elementBytes)
napi_value Transpose(napi_env env, napi_callback_info info) {
  Args args(env, info, 6, "transpose");
  size_t length = 0;
  uint8_t* heap = args.Heap(0, &length);
  const int64_t xOff = args.Int(1, "xOffset"), outOff = args.Int(2, "outOffset");
  const std::vector<int64_t> shape = args.Ints(3, "shape"), perm = args.Ints(4, "perm");
  const int64_t bytes = args.Int(5, "elementBytes");
  if (!args.ok) return nullptr;
  if (bytes != 4 && bytes != 1) return args.Fail("elementBytes must be 4 or 1"), nullptr;
  if (perm.size() != shape.size()) return args.Fail("perm and shape differ in length"), nullptr;
  std::vector<bool> seen(shape.size(), false);
  for (int64_t a : perm) {
    if (a < 0 || a >= static_cast<int64_t>(shape.size()) || seen[a]) return args.Fail("perm is not a permutation"), nullptr;
    seen[a] = true;
  }
  for (int64_t d : shape)
    if (d < 0) return args.Fail("negative dimension"), nullptr;
  const int64_t size = Volume(shape);
  if (size == 0) return nullptr;
  // Checked as float32 counts: same bytes for 4-byte elements, rounded up for bytes.
  const int64_t words = (size * bytes + 3) / 4;
  if (xOff < 0 || outOff < 0 || static_cast<uint64_t>(xOff) + size * bytes > length || static_cast<uint64_t>(outOff) + size * bytes > length) {
    return args.Fail("x or out is outside the heap (" + std::to_string(words) + " words)"), nullptr;
  }
  const Plan p = Collapse(shape, perm);
  if (bytes == 4) {
    Run(reinterpret_cast<const uint32_t*>(heap + xOff), reinterpret_cast<uint32_t*>(heap + outOff), p);
  } else {
    Run(heap + xOff, heap + outOff, p);
  }
  return nullptr;
}

}  // namespace

void RegisterTranspose(napi_env env, napi_value exports) { SetFunction(env, exports, "transpose", Transpose); }

}  // namespace modalab
