// A small argument parser: --flag, --key value, --key=value, and positionals.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace transformers::cli {

class Args {
 public:
  // value_flags take a value; bool_flags do not. Unknown flags throw InvalidInputError naming them.
  Args(int argc, char** argv, int first, const std::set<std::string>& value_flags,
       const std::set<std::string>& bool_flags);

  bool has(const std::string& flag) const;  // given at all: a boolean flag, or a flag with its value
  std::optional<std::string> get(const std::string& flag) const;
  std::string require(const std::string& flag) const;  // throws naming the flag
  int get_int(const std::string& flag, int fallback) const;  // throws on a non-integer
  const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positionals_;
};

int run_command(const Args& args);
int inspect_command(const Args& args);
int bench_command(const Args& args);
int mem_command(const Args& args);
int similarity_command(const Args& args);
int cache_command(const Args& args);
int quantize_command(const Args& args);
// These parse their own flags (from argv[2] on).
int tokenize_command(int argc, char** argv);  // tokenize_command.cpp
int worker_command(int argc, char** argv);    // worker_command.cpp: a process worker's child side

}  // namespace transformers::cli
