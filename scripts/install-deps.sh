#!/usr/bin/env bash
# Installs the Debian 12 packages RunLedger builds and tests with, when any is missing.
set -euo pipefail
packages=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  librocksdb-dev libzstd-dev
  libprotobuf-dev protobuf-compiler libgrpc++-dev libgrpc-dev protobuf-compiler-grpc
  nlohmann-json3-dev libsimdjson-dev libcxxopts-dev libgtest-dev libgmock-dev libbenchmark-dev
  libcurl4-openssl-dev libssl-dev libyaml-cpp-dev libre2-dev tzdata clang libclang-rt-14-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
