// Golden comparison, one definition for every golden test: strings, labels and integers exactly, numbers
// within a tolerance, walking both JSON trees. Keys the result may add beyond the golden (our start/end
// offsets, which Transformers.js does not return) are named in `extra_keys`.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace transformers::fixtures {

// Scores and tensors of every pipeline golden: within this of Transformers.js.
inline constexpr double kGoldenTolerance = 1e-4;

inline void expect_same_json(const nlohmann::json& want, const nlohmann::json& got, const std::string& path,
                             double tolerance, const std::set<std::string>& extra_keys = {}) {
  if (want.is_number_float() || (want.is_number() && got.is_number_float())) {
    ASSERT_TRUE(got.is_number()) << path;
    EXPECT_NEAR(want.get<double>(), got.get<double>(), tolerance) << path;
  } else if (want.is_array()) {
    ASSERT_TRUE(got.is_array()) << path << ": " << got.dump();
    ASSERT_EQ(want.size(), got.size()) << path << "\n want " << want.dump() << "\n got  " << got.dump();
    for (size_t i = 0; i < want.size(); ++i)
      expect_same_json(want[i], got[i], path + "[" + std::to_string(i) + "]", tolerance, extra_keys);
  } else if (want.is_object()) {
    ASSERT_TRUE(got.is_object()) << path << ": " << got.dump();
    for (const auto& [k, v] : got.items())
      EXPECT_TRUE(want.contains(k) || extra_keys.count(k)) << path << ": unexpected key " << k;
    for (const auto& [k, v] : want.items()) {
      ASSERT_TRUE(got.contains(k)) << path << "." << k << " missing in " << got.dump();
      expect_same_json(v, got[k], path + "." + k, tolerance, extra_keys);
    }
  } else {
    EXPECT_EQ(want, got) << path;
  }
}

}  // namespace transformers::fixtures
