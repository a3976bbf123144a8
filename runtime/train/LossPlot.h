//===- LossPlot.h - The loss curve as a PNG ---------------------*- C++ -*-===//
//
// Draws training loss (blue), validation loss (orange, with dots) and the
// unigram baseline (grey, dashed) against the step, with labelled axes, into
// an RGB PNG. Self-contained: a small bitmap font and an uncompressed
// (stored-block) zlib stream, so no image library is needed.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_TRAIN_LOSSPLOT_H
#define DS_RUNTIME_TRAIN_LOSSPLOT_H

#include <string>
#include <utility>
#include <vector>

namespace ds::rt {

struct LossCurve {
  std::vector<std::pair<double, double>> train; // (step, loss)
  std::vector<std::pair<double, double>> val;
  double baseline = 0.0; // drawn when positive
};

/// Writes the plot to `path` atomically. Returns false and sets `error` when
/// the file cannot be written.
bool writeLossPlot(const std::string &path, const LossCurve &curve,
                   std::string &error);

/// The PNG encoding of an RGB image (`rgb` holds width·height·3 bytes).
std::string encodePng(int width, int height, const std::vector<uint8_t> &rgb);

} // namespace ds::rt

#endif // DS_RUNTIME_TRAIN_LOSSPLOT_H
