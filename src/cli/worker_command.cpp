// Placeholder until `transformers-cpp worker` lands (being written now; replaced by its implementation).
#include "cli/args.hpp"
#include "transformers/error.hpp"

namespace transformers::cli {

int worker_command(int, char**) { throw InvalidInputError("'worker' is not built yet"); }

}  // namespace transformers::cli
