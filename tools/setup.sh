#!/usr/bin/env bash
# Installs every Debian 12 package DS needs (only those missing), then
# configures and builds DS with CMake, Ninja, clang-22 and lld. Idempotent:
# a second run only rebuilds what changed.
#
#   tools/setup.sh [ninja targets...]      (default: everything)
#
# DS_BUILD_DIR overrides the build directory (default: build/ in the repo).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DS_BUILD_DIR:-$root/build}"

packages=(
  # compiler toolchain and MLIR 22 (libMLIR.so, mlir-tblgen)
  clang-22 lld-22 llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  # build system and cache
  cmake ninja-build ccache
  # model configs (Protobuf, textproto) and JSON (config.json, safetensors headers)
  protobuf-compiler libprotobuf-dev nlohmann-json3-dev
  # tests: lit and FileCheck come with llvm-22-tools; GoogleTest
  libgtest-dev python3
  # CPU kernels and generated code: OpenBLAS for GEMM, LLVM's OpenMP runtime
  libopenblas-dev libomp-22-dev
  # distributed training on CPUs: OpenMPI (library and mpirun)
  libopenmpi-dev openmpi-bin
  # the CUDA kernels (kernels/cuda): nvcc (CUDA 13 at /usr/local/cuda) wants
  # GCC as its host compiler
  g++
  # sanitizer runtimes (tools/test.sh --sanitize)
  libclang-rt-22-dev
  # training data: SentencePiece (library and spm_* tools) and the bundled
  # corpus, the King James Bible (`bible` prints it)
  libsentencepiece-dev sentencepiece bible-kjv bible-kjv-text
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    ${DS_CMAKE_ARGS:-}
fi
ninja -C "$build" "$@"
