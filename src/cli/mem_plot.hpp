// An SVG line chart of RSS (anonymous, file-backed) and allocator in-use over the phases of `mem`.
#pragma once

#include <string>
#include <vector>

#include "transformers/memory_report.hpp"

namespace transformers::cli {

struct MemPhase {
  std::string name;
  MemoryReport report;
};

// Throws InvalidInputError naming the file when it cannot be written.
void write_mem_plot(const std::string& file, const std::vector<MemPhase>& phases);

}  // namespace transformers::cli
