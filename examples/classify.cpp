// The README's library example, compiled with the project so that it stays true.
// usage: example_classify CLASSIFIER_DIR EMBEDDER_DIR
#include <iostream>
#include <transformers/transformers.hpp>

namespace tf = transformers;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: example_classify CLASSIFIER_DIR EMBEDDER_DIR\n";
    return 2;
  }
  try {
    auto classify = tf::pipeline("sentiment-analysis", argv[1], {.dtype = "fp32"});
    tf::Output out = classify("I love this!");
    for (const auto& l : out.labels()[0]) std::cout << l.label << " " << l.score << "\n";
    std::cout << out.to_json() << "\n";

    auto many = classify({"good", "bad"}, tf::TextClassificationOptions{.top_k = 2});
    std::cout << many.to_json() << "\n";
    classify.dispose();

    auto embed = tf::pipeline("feature-extraction", argv[2]);
    tf::Tensor e = embed({"first text", "second"}, tf::FeatureExtractionOptions{.pooling = tf::Pooling::mean, .normalize = true}).tensor();
    std::cout << "embeddings " << e.dims_string() << "\n";

    // The README's memory example.
    auto p = tf::pipeline("embeddings", argv[2], {.release_policy = tf::ReleasePolicy::immediate()});
    p({"some text"});
    p.dispose();
    std::cout << tf::memory_report().to_table();
    tf::PipelineManager manager({.budget_bytes = 512ull << 20});
    auto shared = manager.get_or_load("text-classification", argv[1]);
    std::cout << shared->task() << " shared by " << manager.pipelines().at(0).holders << " holder(s)\n";
  } catch (const tf::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
