// transformers-cpp: the command-line front end, a thin layer over the library (commands: commands.cpp).
#include <cstdio>
#include <cstring>
#include <string>

#include "cli/commands.hpp"
#include "transformers/engine.hpp"
#include "transformers/error.hpp"

namespace {
bool asks_help(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--")) return false;
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) return true;
  }
  return false;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace transformers;
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    std::fputs(cli::usage().c_str(), argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::printf("transformers-cpp %s (ONNX Runtime %s)\n", TRANSFORMERS_CPP_VERSION, onnxruntime_version().c_str());
    return 0;
  }
  const cli::Command* command = cli::find_command(argv[1]);
  if (!command) {
    std::fprintf(stderr, "unknown command '%s'\n\n%s", argv[1], cli::usage().c_str());
    return 2;
  }
  if (asks_help(argc, argv)) {
    std::fputs(cli::help_of(*command).c_str(), stdout);
    return 0;
  }
  try {
    return command->run(cli::Args(argc, argv, 2, command->flags));
  } catch (const InvalidInputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
