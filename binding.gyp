{
  "targets": [
    {
      "target_name": "pelt_native",
      "sources": [
        "native/addon.cc",
        "native/args.cc",
        "native/gemm.cc",
        "native/elementwise.cc",
        "native/reduce.cc",
        "native/copy.cc",
        "native/layernorm.cc",
        "native/softmax.cc",
        "native/attention.cc",
        "native/embedding.cc",
        "native/loss.cc",
        "native/random.cc",
        "native/adamw.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags": ["-O3", "-march=native", "-fopenmp", "-fno-math-errno", "-ffp-contract=off"],
      "cflags_cc": ["-fexceptions"],
      "ldflags": ["-fopenmp"],
      "libraries": ["-lopenblas", "-fopenmp"]
    }
  ]
}
