//===- ParamNamePattern.cpp - names of stacked parameters -----------------===//

#include "runtime/io/ParamNamePattern.h"

using namespace ds::rt;

/// Reads a non-negative decimal number at `text[pos]`, advancing `pos`.
static bool readNumber(std::string_view text, size_t &pos, int64_t &value) {
  size_t start = pos;
  value = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    if (value > (INT64_MAX - 9) / 10)
      return false;
    value = value * 10 + (text[pos] - '0');
    ++pos;
  }
  return pos > start;
}

bool ParamNamePattern::parse(std::string_view name, ParamNamePattern &pattern,
                             std::string &error) {
  pattern = ParamNamePattern();
  std::string literal;
  for (size_t pos = 0; pos < name.size();) {
    char c = name[pos];
    if (c == ']') {
      error = "unmatched ']' at offset " + std::to_string(pos);
      return false;
    }
    if (c != '[') {
      literal += c;
      ++pos;
      continue;
    }
    size_t open = pos++;
    int64_t begin, end;
    if (!readNumber(name, pos, begin) || pos >= name.size() ||
        name[pos] != ':' || !readNumber(name, ++pos, end) ||
        pos >= name.size() || name[pos] != ']') {
      error = "malformed layer range at offset " + std::to_string(open) +
              " (expected '[begin:end]')";
      return false;
    }
    ++pos;
    if (begin >= end) {
      error = "empty layer range [" + std::to_string(begin) + ":" +
              std::to_string(end) + "]";
      return false;
    }
    pattern.literals.push_back(std::move(literal));
    literal.clear();
    pattern.ranges.push_back({begin, end});
  }
  pattern.literals.push_back(std::move(literal));
  return true;
}

int64_t ParamNamePattern::numSlices() const {
  int64_t count = 1;
  for (size_t dim = 0; dim < ranges.size(); ++dim)
    count *= extent(dim);
  return count;
}

std::string
ParamNamePattern::expand(const std::vector<int64_t> &positions) const {
  std::string name = literals[0];
  for (size_t dim = 0; dim < ranges.size(); ++dim) {
    name += std::to_string(ranges[dim].first + positions[dim]);
    name += literals[dim + 1];
  }
  return name;
}

std::string ParamNamePattern::expandFlat(int64_t flat) const {
  std::vector<int64_t> positions(ranges.size());
  for (size_t dim = ranges.size(); dim-- > 0;) {
    positions[dim] = flat % extent(dim);
    flat /= extent(dim);
  }
  return expand(positions);
}
