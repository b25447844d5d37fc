#include "cli/mem_plot.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "transformers/error.hpp"

namespace transformers::cli {

void write_mem_plot(const std::string& file, const std::vector<MemPhase>& phases) {
  const double w = 760, h = 360, left = 60, right = 20, top = 30, bottom = 90;
  struct Series {
    const char* name;
    const char* color;
    uint64_t (*get)(const MemoryReport&);
  };
  const Series series[] = {
      {"RSS anonymous", "#d62728", [](const MemoryReport& r) { return r.process.rss_anon; }},
      {"RSS file-backed", "#1f77b4", [](const MemoryReport& r) { return r.process.rss_file; }},
      {"allocator in use", "#2ca02c", [](const MemoryReport& r) { return r.allocator.in_use; }}};
  double max_mib = 1;
  for (const auto& p : phases)
    for (const auto& s : series) max_mib = std::max(max_mib, s.get(p.report) / 1048576.0);
  max_mib *= 1.1;
  const size_t n = phases.size();
  auto x = [&](size_t i) { return left + (n > 1 ? (w - left - right) * i / (n - 1) : 0); };
  auto y = [&](double mib) { return top + (h - top - bottom) * (1 - mib / max_mib); };

  std::string svg;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='%.0f' font-family='sans-serif' "
                "font-size='11'>\n<rect width='100%%' height='100%%' fill='white'/>\n",
                w, h);
  svg += buf;
  for (int t = 0; t <= 4; ++t) {  // horizontal grid with MiB labels
    const double v = max_mib * t / 4;
    std::snprintf(buf, sizeof buf,
                  "<line x1='%.0f' x2='%.0f' y1='%.1f' y2='%.1f' stroke='#ddd'/><text x='%.0f' y='%.1f' "
                  "text-anchor='end'>%.0f MiB</text>\n",
                  left, w - right, y(v), y(v), left - 4, y(v) + 4, v);
    svg += buf;
  }
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf,
                  "<text transform='translate(%.1f,%.0f) rotate(30)' text-anchor='start'>%s</text>\n", x(i),
                  h - bottom + 14, phases[i].name.c_str());
    svg += buf;
  }
  for (size_t k = 0; k < 3; ++k) {
    svg += "<polyline fill='none' stroke-width='2' stroke='" + std::string(series[k].color) + "' points='";
    for (size_t i = 0; i < n; ++i) {
      std::snprintf(buf, sizeof buf, "%.1f,%.1f ", x(i), y(series[k].get(phases[i].report) / 1048576.0));
      svg += buf;
    }
    svg += "'/>\n";
    std::snprintf(buf, sizeof buf, "<text x='%.0f' y='%.0f' fill='%s'>%s</text>\n", left + 10 + 150.0 * k, 18.0,
                  series[k].color, series[k].name);
    svg += buf;
  }
  svg += "</svg>\n";
  std::ofstream out(file);
  out << svg;
  if (!out) throw InvalidInputError("--plot: cannot write " + file);
}

}  // namespace transformers::cli
