#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "memory/mapped_file.hpp"
#include "transformers/error.hpp"

using transformers::ModelLoadError;
using transformers::memory::MappedFile;
namespace fs = std::filesystem;

namespace {
fs::path temp_file(const std::string& name, const std::string& content) {
  const fs::path p = fs::temp_directory_path() / ("transformers_cpp_mapped_" + std::to_string(::getpid()) + name);
  std::ofstream(p, std::ios::binary) << content;
  return p;
}
}  // namespace

TEST(MappedFile, MapsTheBytesReadOnly) {
  const std::string content(10000, 'x');
  const fs::path p = temp_file("a", content + "end");
  {
    MappedFile m(p);
    ASSERT_TRUE(m.is_mapped());
    EXPECT_EQ(m.size(), content.size() + 3);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(m.data()) + content.size(), 3), "end");
    EXPECT_EQ(m.path(), p);
    EXPECT_TRUE(m.advise(MappedFile::Advice::will_need));
    EXPECT_TRUE(m.advise(MappedFile::Advice::random, 5000, 100));
    EXPECT_FALSE(m.advise(MappedFile::Advice::random, m.size(), 1));
  }
  fs::remove(p);
}

TEST(MappedFile, MovesAndResets) {
  const fs::path p = temp_file("b", "hello");
  MappedFile a(p);
  const std::byte* data = a.data();
  MappedFile b(std::move(a));
  EXPECT_FALSE(a.is_mapped());
  EXPECT_EQ(b.data(), data);
  MappedFile c;
  c = std::move(b);
  EXPECT_EQ(c.size(), 5u);
  c.reset();
  EXPECT_FALSE(c.is_mapped());
  EXPECT_EQ(c.size(), 0u);
  fs::remove(p);
}

TEST(MappedFile, EmptyFileMapsToNothing) {
  const fs::path p = temp_file("c", "");
  MappedFile m(p);
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(m.data(), nullptr);
  fs::remove(p);
}

TEST(MappedFile, ErrorsNameThePath) {
  try {
    MappedFile m("/nonexistent/weights.bin");
    FAIL() << "no exception";
  } catch (const ModelLoadError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/weights.bin"), std::string::npos) << e.what();
  }
  try {
    MappedFile m(fs::temp_directory_path());
    FAIL() << "no exception";
  } catch (const ModelLoadError& e) {
    EXPECT_NE(std::string(e.what()).find(fs::temp_directory_path().string()), std::string::npos) << e.what();
  }
}
