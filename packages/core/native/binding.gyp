{
  # The modalab native kernels (packages/core/src/backend/native/): built by build.mjs at
  # install time against the system's Node headers and oneDNN (Debian: libdnnl-dev).
  "targets": [
    {
      "target_name": "modalab_native",
      "sources": ["src/addon.cc", "src/common.cc", "src/matmul.cc", "src/transpose.cc", "src/elementwise.cc", "src/binary.cc", "src/copy.cc", "src/conv.cc", "src/bf16.cc"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-O3", "-fopenmp", "-std=c++17"],
      "cflags_cc!": ["-std=gnu++1y", "-std=gnu++17"],
      "ldflags": ["-fopenmp"],
      "libraries": ["-ldnnl"]
    }
  ]
}
