#include "models/onnx_file_info.hpp"

#include <fstream>

#include "transformers/error.hpp"

namespace transformers::models {

namespace {
// Minimal protobuf wire-format reader over a stream: enough to walk ModelProto's top level.
class Reader {
 public:
  Reader(std::istream& in, uint64_t end) : in_(in), end_(end) {}
  bool done() { return static_cast<uint64_t>(in_.tellg()) >= end_; }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const int c = in_.get();
      if (c == EOF) throw std::runtime_error("truncated varint");
      v |= static_cast<uint64_t>(c & 0x7f) << shift;
      if (!(c & 0x80)) return v;
    }
    throw std::runtime_error("malformed varint");
  }
  std::string bytes(uint64_t n) {
    if (n > (1u << 20)) throw std::runtime_error("string field too long");
    std::string s(n, '\0');
    if (!in_.read(s.data(), static_cast<std::streamsize>(n))) throw std::runtime_error("truncated field");
    return s;
  }
  void skip(uint32_t wire_type) {
    switch (wire_type) {
      case 0: varint(); break;
      case 1: in_.seekg(8, std::ios::cur); break;
      case 2: in_.seekg(static_cast<std::streamoff>(varint()), std::ios::cur); break;
      case 5: in_.seekg(4, std::ios::cur); break;
      default: throw std::runtime_error("unsupported wire type " + std::to_string(wire_type));
    }
    if (!in_) throw std::runtime_error("truncated field");
  }
  std::istream& stream() { return in_; }

 private:
  std::istream& in_;
  uint64_t end_;
};
}  // namespace

OnnxFileInfo read_onnx_file_info(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ModelLoadError("cannot open ONNX file: " + file.string());
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(file, ec);
  OnnxFileInfo info;
  try {
    Reader r(in, size);
    while (!r.done()) {
      const uint64_t key = r.varint();
      const uint32_t field = static_cast<uint32_t>(key >> 3), wire = key & 7;
      if (field == 1 && wire == 0) {
        info.ir_version = static_cast<int64_t>(r.varint());
      } else if (field == 2 && wire == 2) {
        info.producer_name = r.bytes(r.varint());
      } else if (field == 3 && wire == 2) {
        info.producer_version = r.bytes(r.varint());
      } else if (field == 8 && wire == 2) {  // OperatorSetIdProto { 1: domain, 2: version }
        const uint64_t len = r.varint();
        const uint64_t end = static_cast<uint64_t>(r.stream().tellg()) + len;
        std::pair<std::string, int64_t> opset;
        Reader sub(r.stream(), end);
        while (!sub.done()) {
          const uint64_t k = sub.varint();
          if ((k >> 3) == 1 && (k & 7) == 2) opset.first = sub.bytes(sub.varint());
          else if ((k >> 3) == 2 && (k & 7) == 0) opset.second = static_cast<int64_t>(sub.varint());
          else sub.skip(k & 7);
        }
        info.opsets.push_back(opset);
      } else {
        r.skip(wire);
      }
    }
  } catch (const std::exception& e) {
    throw ModelLoadError("not a valid ONNX file: " + file.string() + " (" + e.what() + ")");
  }
  return info;
}

}  // namespace transformers::models
