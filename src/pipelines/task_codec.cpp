// The variant-level codec (any task's options or result) and the public JSON entry points for options.
#include "pipelines/task_codec.hpp"

#include "core/json_fields.hpp"
#include "pipelines/task_registry.hpp"

namespace transformers::codec {

namespace {
// Calls f(std::integral_constant<size_t, I>) for the alternative I == index of variant V.
template <class V, size_t I = 0, class F>
decltype(auto) with_alternative(size_t index, F&& f) {
  if constexpr (I + 1 < std::variant_size_v<V>) {
    if (index != I) return with_alternative<V, I + 1>(index, std::forward<F>(f));
  } else if (index != I) {
    throw InvalidInputError("kind " + std::to_string(index) + " is not one of the " +
                            std::to_string(std::variant_size_v<V>) + " known");
  }
  return f(std::integral_constant<size_t, I>{});
}

template <class T>
T decode_as(const Json& j, const std::string& where) {
  T v{};
  decode(j, v, where);
  return v;
}

const Json& member(const Json& j, const char* key, const char* what) {
  if (!j.is_object() || !j.contains(key)) throw InvalidInputError(std::string(what) + ": missing '" + key + "'");
  return j[key];
}
}  // namespace

Json encode_call_options(const CallOptions& options) {
  Json value = std::visit(
      [](const auto& o) -> Json {
        if constexpr (std::is_same_v<std::decay_t<decltype(o)>, std::monostate>) return nullptr;
        else return encode(o);
      },
      options);
  return Json{{"kind", options.index()}, {"value", std::move(value)}};
}

CallOptions decode_call_options(const Json& j) {
  const size_t kind = decode_as<size_t>(member(j, "kind", "call options"), "call options.kind");
  const Json& value = member(j, "value", "call options");
  return with_alternative<CallOptions>(kind, [&](auto index) -> CallOptions {
    using T = std::variant_alternative_t<decltype(index)::value, CallOptions>;
    if constexpr (std::is_same_v<T, std::monostate>) return CallOptions{};
    else return CallOptions(decode_as<T>(value, "call options"));
  });
}

Json encode_output(const Output& out) {
  return Json{{"kind", out.result().index()},
              {"value", std::visit([](const auto& r) { return encode(r); }, out.result())},
              {"batched", out.batched_input()},
              {"truncated", out.truncated_inputs()}};
}

Output decode_output(const Json& j) {
  const size_t kind = decode_as<size_t>(member(j, "kind", "result"), "result.kind");
  const Json& value = member(j, "value", "result");
  Output out = with_alternative<TaskResult>(kind, [&](auto index) {
    using R = std::variant_alternative_t<decltype(index)::value, TaskResult>;
    return Output(TaskResult(decode_as<R>(value, "result")), decode_as<bool>(member(j, "batched", "result"), "result.batched"));
  });
  out.set_truncated_inputs(decode_as<std::vector<size_t>>(member(j, "truncated", "result"), "result.truncated"));
  return out;
}

}  // namespace transformers::codec

namespace transformers {

CallOptions call_options_from_json(std::string_view task, std::string_view json) {
  const pipelines::TaskSpec& spec = pipelines::task_spec(task);
  codec::Json j;
  try {
    j = codec::Json::parse(json.begin(), json.end());
  } catch (const std::exception& e) {
    throw InvalidInputError(std::string(spec.name) + " options: not JSON (" + e.what() + ")");
  }
  if (!j.is_object()) throw InvalidInputError(std::string(spec.name) + " options: expected a JSON object, got " + j.dump());
  return codec::with_alternative<CallOptions>(spec.options_index, [&](auto index) -> CallOptions {
    using T = std::variant_alternative_t<decltype(index)::value, CallOptions>;
    if constexpr (std::is_same_v<T, std::monostate>) return CallOptions{};
    else return CallOptions(codec::decode_as<T>(j, std::string(spec.name) + " options"));
  });
}

std::string call_options_to_json(const CallOptions& options) {
  return std::visit(
      [](const auto& o) -> std::string {
        if constexpr (std::is_same_v<std::decay_t<decltype(o)>, std::monostate>) return "{}";
        else return codec::encode(o).dump(-1, ' ', false, codec::Json::error_handler_t::replace);
      },
      options);
}

std::vector<std::pair<std::string, std::string>> task_option_fields(std::string_view task) {
  const pipelines::TaskSpec& spec = pipelines::task_spec(task);
  return codec::with_alternative<CallOptions>(spec.options_index, [&](auto index) {
    using T = std::variant_alternative_t<decltype(index)::value, CallOptions>;
    if constexpr (std::is_same_v<T, std::monostate>) return std::vector<std::pair<std::string, std::string>>{};
    else return codec::field_kinds<T>();
  });
}

}  // namespace transformers
