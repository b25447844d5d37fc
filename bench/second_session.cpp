// What a second session of the same model costs, with prepacking on or off (docs/memory.md):
//   build/bench/second_session MODEL.onnx [--no-prepack]
#include <cstdio>
#include <cstring>
#include <transformers/transformers.hpp>

namespace tf = transformers;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: second_session MODEL.onnx [--no-prepack]\n");
    return 2;
  }
  tf::SessionOptions o;
  o.prepack_weights = !(argc > 2 && !std::strcmp(argv[2], "--no-prepack"));
  // [CLS] hello x14 [SEP]: 16 tokens, batch 1.
  std::vector<int64_t> ids(16, 7592), mask(16, 1), types(16, 0), dims{1, 16};
  ids.front() = 101;
  ids.back() = 102;
  const std::vector<tf::InputTensor> in{{"input_ids", tf::ElementType::int64, dims, ids.data(), 128},
                                        {"attention_mask", tf::ElementType::int64, dims, mask.data(), 128},
                                        {"token_type_ids", tf::ElementType::int64, dims, types.data(), 128}};
  const auto m0 = tf::process_memory();
  tf::Session a(argv[1], o);
  const auto ra = a.run(in);
  const auto m1 = tf::process_memory();
  tf::Session b(argv[1], o);
  const auto rb = b.run(in);
  const auto m2 = tf::process_memory();
  auto mib = [](uint64_t after, uint64_t before) { return (static_cast<double>(after) - before) / 1048576.0; };
  std::printf("prepack %s: first session + run %+.1f MiB RSS (%+.1f anon), second %+.1f MiB RSS (%+.1f anon), "
              "outputs identical: %s\n",
              o.prepack_weights ? "on" : "off", mib(m1.rss, m0.rss), mib(m1.rss_anon, m0.rss_anon),
              mib(m2.rss, m1.rss), mib(m2.rss_anon, m1.rss_anon), ra[0].data == rb[0].data ? "yes" : "no");
  return 0;
}
