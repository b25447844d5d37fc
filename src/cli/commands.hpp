// The command table: every command of transformers-cpp with its flags (declared once, with their help),
// what its positional arguments are, notes for its help, and the function that runs it.
#pragma once

#include <string>
#include <vector>

#include "cli/args.hpp"

namespace transformers::cli {

struct Command {
  std::string name;
  std::string positionals;  // shown after the flags in the synopsis, e.g. "<task> [TEXT...]"
  std::vector<Flag> flags;
  std::string notes;        // what the synopsis cannot say (lines of help, two-space indented)
  int (*run)(const Args&);
};

const std::vector<Command>& commands();
const Command* find_command(const std::string& name);
// "  run <task> --model DIR [--dtype D] ..." followed by the notes and the flags with their help.
std::string help_of(const Command& c);
// Every command's synopsis and notes (transformers-cpp --help).
std::string usage();

}  // namespace transformers::cli
