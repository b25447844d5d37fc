// A copy of a fixture folder whose files a test may break (removed when the test ends).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace transformers::fixtures {

struct BrokenCopy {
  std::filesystem::path root;
  explicit BrokenCopy(const std::filesystem::path& from) {
    root = std::filesystem::temp_directory_path() /
           ("tfcpp_broken_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(root);
    std::filesystem::copy(from, root, std::filesystem::copy_options::recursive);
  }
  void write(const char* file, const std::string& text) const { std::ofstream(root / file) << text; }
  ~BrokenCopy() { std::filesystem::remove_all(root); }
};

}  // namespace transformers::fixtures
