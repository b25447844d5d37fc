// Array.prototype.sort as V8 runs it, for |sort and |dictsort: the comparator of @huggingface/jinja throws
// for values that do not compare, so which pair is compared first decides the error, and a NaN (which
// compares equal to everything) can only land where V8 puts it. V8 sorts a list shorter than 64 by finding
// the leading run (reversing it if descending) and binary insertion of the rest; longer lists go through
// TimSort's merges, for which a stable sort gives the same order whenever the comparator is consistent.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace transformers::jinja {

// `compare(a, b)` < 0 puts a first, as a JavaScript comparator.
template <class T, class Compare>
void js_sort(std::vector<T>& a, Compare&& compare) {
  const size_t n = a.size();
  if (n < 2) return;
  if (n >= 64) {
    std::stable_sort(a.begin(), a.end(), [&](const T& x, const T& y) { return compare(x, y) < 0; });
    return;
  }
  // CountAndMakeRun
  size_t run = 2;
  const bool descending = compare(a[1], a[0]) < 0;
  for (size_t i = 2; i < n; ++i) {
    const int order = compare(a[i], a[i - 1]);
    if (descending ? order >= 0 : order < 0) break;
    ++run;
  }
  if (descending) std::reverse(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(run));
  // BinaryInsertionSort of a[run, n) into the sorted a[0, run)
  for (size_t start = run; start < n; ++start) {
    T pivot = std::move(a[start]);
    size_t left = 0, right = start;
    while (left < right) {
      const size_t mid = left + ((right - left) >> 1);
      if (compare(pivot, a[mid]) < 0)
        right = mid;
      else
        left = mid + 1;
    }
    for (size_t p = start; p > left; --p) a[p] = std::move(a[p - 1]);
    a[left] = std::move(pivot);
  }
}

}  // namespace transformers::jinja
