//===- YarnScale.h - YaRN's rotary scale, as DeepSeek and HF compute it -*- C++ -*-===//
//
// Private to the config library. DeepSeek's reference code scales YaRN's
// cos/sin by mscale(factor, mscale) / mscale(factor, mscale_all_dim), and so
// does DS. transformers' deepseek_v2/v3 do the same only when both values
// are given and non-zero, and otherwise scale by mscale(factor, 1). The
// importer refuses a config.json where the two disagree (its meaning is
// ambiguous), the exporter a config it could only write as one, and the
// validator checks the scale is a finite positive number.
//
//===----------------------------------------------------------------------===//

#ifndef DS_FRONTEND_CONFIG_YARNSCALE_H
#define DS_FRONTEND_CONFIG_YARNSCALE_H

#include <cmath>
#include <optional>

namespace ds::config {

/// yarn_get_mscale of DeepSeek's and Hugging Face's code.
inline double yarnMscale(double factor, double mscale) {
  return factor <= 1.0 ? 1.0 : 0.1 * mscale * std::log(factor) + 1.0;
}

/// The cos/sin scale DS and DeepSeek's reference code apply.
inline double deepseekYarnScale(double factor, double mscale,
                                double mscaleAllDim) {
  return yarnMscale(factor, mscale) / yarnMscale(factor, mscaleAllDim);
}

/// The cos/sin scale transformers applies (`mscale` absent: nullopt).
inline double transformersYarnScale(double factor, std::optional<double> mscale,
                                    double mscaleAllDim) {
  return mscale && *mscale != 0.0 && mscaleAllDim != 0.0
             ? deepseekYarnScale(factor, *mscale, mscaleAllDim)
             : yarnMscale(factor, 1.0);
}

/// Whether two scales are the same number (to rounding); a non-finite DS
/// scale is the validator's error, not a disagreement.
inline bool yarnScalesAgree(double deepseek, double transformers) {
  return !std::isfinite(deepseek) ||
         std::fabs(deepseek - transformers) <= 1e-12 * std::fabs(transformers);
}

} // namespace ds::config

#endif // DS_FRONTEND_CONFIG_YARNSCALE_H
