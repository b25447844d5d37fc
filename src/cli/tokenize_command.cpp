// Placeholder until `transformers-cpp tokenize` lands (being written now; replaced by its implementation).
#include "cli/args.hpp"
#include "transformers/error.hpp"

namespace transformers::cli {

int tokenize_command(int, char**) { throw InvalidInputError("'tokenize' is not built yet"); }

}  // namespace transformers::cli
