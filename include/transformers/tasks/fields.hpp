// How task option and result types describe themselves. Each type lists its fields once, in
//   template <class Self, class Visit> static void fields(Self& self, Visit&& visit)
// calling visit("json_name", self.member) per member; each enum lists its names in an EnumNames
// specialisation. The codec (worker protocol, the CLI's flags, the server's JSON), equality checks and the
// round-trip test are all derived from these lists, so adding an option touches only its task's header
// and the code that reads it (docs/architecture.md).
#pragma once

#include <array>
#include <string_view>
#include <utility>

namespace transformers {

// Specialise with `static constexpr std::array<std::pair<E, std::string_view>, N> values`: the canonical
// name of each value first; later pairs with an already named value are aliases accepted when parsing.
template <class E>
struct EnumNames;

}  // namespace transformers
