// What every test binary shares: where the committed fixtures are, and how to read an error's message.
#pragma once

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "transformers/error.hpp"

// AddressSanitizer's and ThreadSanitizer's shadow memory (and ASan's quarantine, which holds freed memory
// back on purpose) make RSS say nothing about release behaviour; scripts/sanitize.sh runs RSS tests for
// memory errors and races only.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TRANSFORMERS_TEST_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || defined(TRANSFORMERS_TEST_SANITIZED)
#define SKIP_RSS_UNDER_ASAN() GTEST_SKIP() << "RSS assertions are meaningless under a sanitizer's shadow memory"
#define TRANSFORMERS_RSS_ASSERTIONS 0  // for a test that checks more than RSS: its RSS part only
#else
#define SKIP_RSS_UNDER_ASAN() (void)0
#define TRANSFORMERS_RSS_ASSERTIONS 1
#endif

namespace transformers::fixtures {

inline std::filesystem::path root() { return TRANSFORMERS_FIXTURES_DIR; }

// The first n held-out words of the trained transliteration model with ICU's romanization
// (fixtures/translit/held_out.tsv, tools/translit/words.py).
inline std::vector<std::pair<std::string, std::string>> translit_held_out(size_t n) {
  std::ifstream in(root() / "translit" / "held_out.tsv");
  std::vector<std::pair<std::string, std::string>> pairs;
  for (std::string line; pairs.size() < n && std::getline(in, line);) {
    const size_t tab = line.find('\t');
    if (tab != std::string::npos) pairs.emplace_back(line.substr(0, tab), line.substr(tab + 1));
  }
  return pairs;
}

// A fresh folder of its own under the temporary directory, removed with everything in it at the end.
// A full disk, simulated for this process while it lives: RLIMIT_FSIZE makes every write past `bytes` of a
// file fail with EFBIG, as it would with ENOSPC (SIGXFSZ ignored, so the write returns the error).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) : previous_signal_(std::signal(SIGXFSZ, SIG_IGN)) {
    ::getrlimit(RLIMIT_FSIZE, &previous_);
    rlimit small = previous_;
    small.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &small);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &previous_);
    std::signal(SIGXFSZ, previous_signal_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit previous_{};
  void (*previous_signal_)(int);
};

struct ScratchDir {
  std::filesystem::path path;
  explicit ScratchDir(const std::string& tag) {
    static int n = 0;
    path = std::filesystem::temp_directory_path() /
           ("tfcpp_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};
inline std::filesystem::path model(const char* name) { return root() / "models" / name; }
// The two tiny BERT fixtures most tests load, named once: a unity build compiles several test files as one.
inline const std::string kSentimentModel = model("tiny-bert-sentiment").string();
inline const std::string kEmbedderModel = model("tiny-bert-embedder").string();

// Runs the real transformers-cpp binary with `args` (shell syntax) and collects what a user would see.
struct CliResult {
  int exit_code;
  std::string out;  // stdout and stderr together
};
// `env` ("NAME=value ...") is set for the CLI only.
inline CliResult run_cli(const std::string& args, const std::string& env = "") {
  const std::string cmd = (env.empty() ? "" : "env " + env + " ") + TRANSFORMERS_CLI_PATH + " " + args + " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  CliResult r{-1, ""};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) r.out.append(buf, n);
  const int status = pclose(f);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The message of the E that f throws, or "(no exception)"; any other exception propagates (and fails).
template <class E>
std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "(no exception)";
}

// Expects f to throw a ModelLoadError whose message holds every fragment (names the file, component, field).
template <class F>
void expect_load_error(F&& f, std::initializer_list<std::string> fragments) {
  try {
    f();
    ADD_FAILURE() << "no ModelLoadError thrown";
  } catch (const ModelLoadError& e) {
    const std::string msg = e.what();
    for (const auto& frag : fragments) EXPECT_NE(msg.find(frag), std::string::npos) << "'" << frag << "' not in: " << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception: " << e.what();
  }
}

struct LoadOutcomes {
  size_t loaded = 0, refused = 0;
};

// Replaces every top-level field of `base`, and every field of object-valued ones, by a value of each JSON
// type, and counts the variants that `try_load` accepts against those it refuses with ModelLoadError. Any
// other exception (or a crash) fails the test: malformed files must be refused cleanly.
template <class TryLoad>
LoadOutcomes mistype_every_field(const nlohmann::json& base, TryLoad&& try_load) {
  using nlohmann::json;
  const json replacements[] = {nullptr, 1, -1, 2.5, "x", true, json::array(), json::object(), json::array({1, "a"})};
  LoadOutcomes n;
  auto attempt = [&](const json& t) {
    try {
      try_load(t);
      ++n.loaded;
    } catch (const ModelLoadError&) {
      ++n.refused;
    }
  };
  for (const auto& [key, value] : base.items()) {
    for (const auto& r : replacements) {
      json t = base;
      t[key] = r;
      attempt(t);
      if (value.is_object()) {
        for (const auto& [inner, unused] : value.items()) {
          json u = base;
          u[key][inner] = r;
          attempt(u);
        }
      }
    }
  }
  return n;
}

}  // namespace transformers::fixtures
