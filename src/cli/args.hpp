// Command-line parsing on CLI11: each command's flags are declared once, in the command table
// (commands.cpp), with their help; CLI11 parses them (--key value, --key=value, "--" ends the flags) and
// writes each command's help from the same declarations. Args is what a command reads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace transformers::cli {

// One flag: `value` names its value ("DIR", "N"), empty for a boolean flag.
struct Flag {
  std::string name;
  std::string value;
  std::string help;
  bool repeated = false;  // may be given more than once (Args::get_all)
};

class Args {
 public:
  // Parses argv[first..] against `flags`; InvalidInputError for an unknown flag, a missing value or a
  // value given to a boolean flag. `--help` is answered by the caller (commands.cpp) before this runs.
  Args(int argc, char** argv, int first, const std::vector<Flag>& flags);

  bool has(const std::string& flag) const;  // given at all: a boolean flag, or a flag with its value
  std::optional<std::string> get(const std::string& flag) const;
  std::string require(const std::string& flag) const;  // throws naming the flag
  int get_int(const std::string& flag, int fallback) const;  // throws on a non-integer
  // "512M", "2G", "100K" or a byte count; throws naming the flag otherwise.
  uint64_t get_size(const std::string& flag, uint64_t fallback) const;
  std::vector<std::string> get_all(const std::string& flag) const;  // a repeated flag's values, in order
  const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> repeated_;
  std::set<std::string> flags_;
  std::vector<std::string> positionals_;
};

int run_command(const Args& args);
int inspect_command(const Args& args);
int bench_command(const Args& args);
int bench_generation(const Args& args, const std::string& task);  // bench of a generation task
int mem_command(const Args& args);
int similarity_command(const Args& args);
int cache_command(const Args& args);
int quantize_command(const Args& args);
int tokenize_command(const Args& args);  // tokenize_command.cpp
int worker_command(const Args& args);    // worker_command.cpp: a process worker's child side
int serve_command(const Args& args);     // serve_command.cpp: the inference server

}  // namespace transformers::cli
