#include "pipeline/metrics.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace strata::pipeline {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
double ratio(int64_t a, int64_t b) { return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : kNaN; }
}  // namespace

void ConfusionMatrix::add(const uint8_t* truth, const uint8_t* predicted, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t t = truth[i], p = predicted[i];
    if (t == kIgnoreLabel) continue;
    if (t >= kNumClasses || p >= kNumClasses)
      throw Error("confusion matrix: class " + std::to_string(t >= kNumClasses ? t : p) + " is not one of the 9 classes");
    ++m_[static_cast<size_t>(t * kNumClasses + p)];
  }
}

int64_t ConfusionMatrix::total() const {
  int64_t n = 0;
  for (int64_t v : m_) n += v;
  return n;
}

ConfusionMatrix& ConfusionMatrix::operator+=(const ConfusionMatrix& other) {
  for (size_t i = 0; i < m_.size(); ++i) m_[i] += other.m_[i];
  return *this;
}

double ConfusionMatrix::accuracy() const {
  int64_t diag = 0;
  for (int c = 0; c < kNumClasses; ++c) diag += at(c, c);
  return ratio(diag, total());
}

double ConfusionMatrix::precision(int c) const {
  int64_t col = 0;
  for (int t = 0; t < kNumClasses; ++t) col += at(t, c);
  return ratio(at(c, c), col);
}

double ConfusionMatrix::recall(int c) const {
  int64_t row = 0;
  for (int p = 0; p < kNumClasses; ++p) row += at(c, p);
  return ratio(at(c, c), row);
}

double ConfusionMatrix::iou(int c) const {
  int64_t uni = -at(c, c);
  for (int k = 0; k < kNumClasses; ++k) uni += at(c, k) + at(k, c);
  return ratio(at(c, c), uni);
}

double ConfusionMatrix::balanced_accuracy() const {
  double sum = 0;
  int n = 0;
  for (int c = 0; c < kNumClasses; ++c)
    if (const double r = recall(c); !std::isnan(r)) sum += r, ++n;
  return n ? sum / n : kNaN;
}

double ConfusionMatrix::mean_iou() const {
  double sum = 0;
  int n = 0;
  for (int c = 0; c < kNumClasses; ++c)
    if (const double v = iou(c); !std::isnan(v)) sum += v, ++n;
  return n ? sum / n : kNaN;
}

std::string ConfusionMatrix::table() const {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-20s %9s %9s %9s %12s\n", "class", "precision", "recall", "IoU", "pixels");
  out += line;
  for (int c = 0; c < kNumClasses; ++c) {
    int64_t row = 0;
    for (int p = 0; p < kNumClasses; ++p) row += at(c, p);
    std::snprintf(line, sizeof line, "%-20s %9.4f %9.4f %9.4f %12lld\n", class_names()[static_cast<size_t>(c)],
                  precision(c), recall(c), iou(c), static_cast<long long>(row));
    out += line;
  }
  std::snprintf(line, sizeof line, "pixel accuracy %.4f, balanced accuracy %.4f, mean IoU %.4f\n", accuracy(),
                balanced_accuracy(), mean_iou());
  out += line;
  out += "confusion (rows: truth, columns: prediction)\n";
  for (int t = 0; t < kNumClasses; ++t) {
    std::snprintf(line, sizeof line, "%-20s", class_names()[static_cast<size_t>(t)]);
    out += line;
    for (int p = 0; p < kNumClasses; ++p) {
      std::snprintf(line, sizeof line, " %10lld", static_cast<long long>(at(t, p)));
      out += line;
    }
    out += "\n";
  }
  return out;
}

std::string ConfusionMatrix::json() const {
  using nlohmann::json;
  auto num = [](double v) { return std::isnan(v) ? json(nullptr) : json(v); };
  json j;
  j["pixel_accuracy"] = num(accuracy());
  j["balanced_accuracy"] = num(balanced_accuracy());
  j["mean_iou"] = num(mean_iou());
  for (int c = 0; c < kNumClasses; ++c) {
    const char* name = class_names()[static_cast<size_t>(c)];
    j["per_class"][name] = {{"precision", num(precision(c))}, {"recall", num(recall(c))}, {"iou", num(iou(c))}};
  }
  j["confusion"] = json::array();
  for (int t = 0; t < kNumClasses; ++t) {
    json row = json::array();
    for (int p = 0; p < kNumClasses; ++p) row.push_back(at(t, p));
    j["confusion"].push_back(row);
  }
  return j.dump();
}

}  // namespace strata::pipeline
