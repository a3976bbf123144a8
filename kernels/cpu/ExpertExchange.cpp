//===- ExpertExchange.cpp - expert parallelism's all-to-all dispatch ------===//
//
// Every kernel here recomputes, from the rank's own indices, which of its
// tokens go to which rank (routesOf); the plan's counts say how many rows
// every other rank sends, so no rank waits on a size it does not know.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/ExpertExchange.h"

#include "kernels/cpu/Collectives.h"

#include <cstring>
#include <vector>

namespace {

/// The tokens this rank sends to each rank of the group, in token order:
/// those that chose at least one of its experts. Invalid indices are
/// recorded and skipped.
using Routes = std::vector<std::vector<int64_t>>;

Routes routesOf(ds_status *status, int32_t site, const int64_t *indices,
                int64_t tokens, int64_t topK, int64_t expertsPerRank,
                int64_t groupSize) {
  Routes routes(static_cast<size_t>(groupSize));
  const int64_t experts = groupSize * expertsPerRank;
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t k = 0; k < topK; ++k) {
      const int64_t e = indices[t * topK + k];
      if (e == -1)
        continue;
      if (e < 0 || e >= experts) {
        ds_status_fail(status, DS_STATUS_INDEX_OUT_OF_RANGE, site, e, experts);
        continue;
      }
      std::vector<int64_t> &route = routes[size_t(e / expertsPerRank)];
      if (route.empty() || route.back() != t)
        route.push_back(t);
    }
  return routes;
}

/// Checks the plan against this rank's routes: the rows it sends to each
/// rank are the plan's, and no rank sends more rows than there are tokens
/// (the plan came from another run or was damaged: fail, move nothing).
bool planAgrees(ds_status *status, int32_t site, const int64_t *counts,
                const Routes &routes, int64_t tokens, int64_t rank,
                int64_t groupSize) {
  for (int64_t r = 0; r < groupSize; ++r) {
    const int64_t sent = counts[rank * groupSize + r];
    const int64_t received = counts[r * groupSize + rank];
    if (sent != int64_t(routes[size_t(r)].size()) || received < 0 ||
        received > tokens) {
      ds_status_fail(status, DS_STATUS_COLLECTIVE_FAILED, site, received,
                     tokens);
      return false;
    }
  }
  return true;
}

/// Byte runs of one all-to-all-v, per rank.
struct Exchange {
  explicit Exchange(int64_t groupSize)
      : sendBytes(size_t(groupSize)), sendOffsets(size_t(groupSize)),
        recvBytes(size_t(groupSize)), recvOffsets(size_t(groupSize)) {}
  std::vector<int64_t> sendBytes, sendOffsets, recvBytes, recvOffsets;

  bool run(const ds_comm *comm, const void *input, void *output) const {
    return comm->all_to_all_v(comm->self, input, sendBytes.data(),
                              sendOffsets.data(), output, recvBytes.data(),
                              recvOffsets.data()) == 0;
  }
};

/// Rows [s * tokens + counts[s][rank], (s + 1) * tokens) of each source s,
/// which no token filled, set to `fill` (row_bytes bytes each).
void fillUnused(char *output, const int64_t *counts, int64_t tokens,
                size_t rowBytes, int64_t rank, int64_t groupSize,
                const void *fill) {
  for (int64_t s = 0; s < groupSize; ++s)
    for (int64_t row = counts[s * groupSize + rank]; row < tokens; ++row)
      std::memcpy(output + size_t(s * tokens + row) * rowBytes, fill,
                  rowBytes);
}

/// The dispatch of rows of `rowBytes` bytes; `pack` writes the row that
/// token t sends to rank r.
template <typename Pack>
void dispatchRows(ds_status *status, int32_t site, const int64_t *counts,
                  const int64_t *indices, void *output, int64_t tokens,
                  int64_t topK, int64_t expertsPerRank, size_t rowBytes,
                  int64_t groupSize, int64_t axes, const void *fill,
                  Pack pack) {
  auto *out = static_cast<char *>(output);
  const ds_comm *comm = ds_collective_group(status, site, groupSize, axes);
  const int64_t rank = comm ? comm->rank : 0;
  const Routes routes = routesOf(status, site, indices, tokens, topK,
                                 expertsPerRank, groupSize);
  if (!comm ||
      !planAgrees(status, site, counts, routes, tokens, rank, groupSize)) {
    for (int64_t row = 0; row < groupSize * tokens; ++row)
      std::memcpy(out + size_t(row) * rowBytes, fill, rowBytes);
    return;
  }
  Exchange exchange(groupSize);
  std::vector<char> sent;
  for (int64_t r = 0; r < groupSize; ++r) {
    const std::vector<int64_t> &route = routes[size_t(r)];
    exchange.sendOffsets[size_t(r)] = int64_t(sent.size());
    exchange.sendBytes[size_t(r)] = int64_t(route.size() * rowBytes);
    sent.resize(sent.size() + route.size() * rowBytes);
    char *row = sent.data() + exchange.sendOffsets[size_t(r)];
    for (int64_t t : route) {
      pack(t, r, row);
      row += rowBytes;
    }
    exchange.recvOffsets[size_t(r)] = int64_t(size_t(r * tokens) * rowBytes);
    exchange.recvBytes[size_t(r)] =
        int64_t(size_t(counts[r * groupSize + rank]) * rowBytes);
  }
  if (!exchange.run(comm, sent.data(), out))
    ds_status_fail(status, DS_STATUS_COLLECTIVE_FAILED, site,
                   int64_t(sent.size()), 0);
  fillUnused(out, counts, tokens, rowBytes, rank, groupSize, fill);
}

template <typename T>
void combineRows(ds_status *status, int32_t site, const int64_t *counts,
                 const int64_t *indices, const T *input, T *output,
                 int64_t tokens, int64_t topK, int64_t expertsPerRank,
                 int64_t row, int64_t groupSize, int64_t axes) {
  std::memset(output, 0, size_t(tokens * row) * sizeof(T));
  const ds_comm *comm = ds_collective_group(status, site, groupSize, axes);
  if (!comm)
    return;
  const int64_t rank = comm->rank;
  const Routes routes = routesOf(status, site, indices, tokens, topK,
                                 expertsPerRank, groupSize);
  if (!planAgrees(status, site, counts, routes, tokens, rank, groupSize))
    return;
  // Each source's rows go back from where the dispatch put them; each
  // rank's answers arrive in the order its route sent the tokens.
  const int64_t rowBytes = row * int64_t(sizeof(T));
  Exchange exchange(groupSize);
  int64_t received = 0;
  for (int64_t r = 0; r < groupSize; ++r) {
    exchange.sendOffsets[size_t(r)] = r * tokens * rowBytes;
    exchange.sendBytes[size_t(r)] = counts[r * groupSize + rank] * rowBytes;
    exchange.recvOffsets[size_t(r)] = received * rowBytes;
    exchange.recvBytes[size_t(r)] =
        int64_t(routes[size_t(r)].size()) * rowBytes;
    received += int64_t(routes[size_t(r)].size());
  }
  std::vector<T> answers(size_t(received * row));
  if (!exchange.run(comm, input, answers.data())) {
    ds_status_fail(status, DS_STATUS_COLLECTIVE_FAILED, site,
                   received * rowBytes, 0);
    return;
  }
  const T *answer = answers.data();
  for (const std::vector<int64_t> &route : routes)
    for (int64_t t : route) {
      T *out = output + t * row;
      for (int64_t i = 0; i < row; ++i)
        out[i] += answer[i];
      answer += row;
    }
}

} // namespace

extern "C" void ds_expert_plan(ds_status *status, int32_t site,
                               const int64_t *indices, int64_t *counts,
                               int64_t tokens, int64_t topK,
                               int64_t expertsPerRank, int64_t groupSize,
                               int64_t axes) {
  std::memset(counts, 0, size_t(groupSize * groupSize) * sizeof(int64_t));
  const ds_comm *comm = ds_collective_group(status, site, groupSize, axes);
  const Routes routes = routesOf(status, site, indices, tokens, topK,
                                 expertsPerRank, groupSize);
  if (!comm)
    return;
  std::vector<int64_t> mine(static_cast<size_t>(groupSize));
  for (int64_t r = 0; r < groupSize; ++r)
    mine[size_t(r)] = int64_t(routes[size_t(r)].size());
  if (comm->all_gather(comm->self, mine.data(), counts,
                       groupSize * int64_t(sizeof(int64_t))) != 0) {
    ds_status_fail(status, DS_STATUS_COLLECTIVE_FAILED, site,
                   groupSize * int64_t(sizeof(int64_t)), 0);
    std::memset(counts, 0, size_t(groupSize * groupSize) * sizeof(int64_t));
  }
}

extern "C" void ds_expert_dispatch(ds_status *status, int32_t site,
                                   const int64_t *counts,
                                   const int64_t *indices, const void *input,
                                   void *output, int64_t tokens, int64_t topK,
                                   int64_t expertsPerRank, int64_t rowBytes,
                                   int64_t groupSize, int64_t axes) {
  const std::vector<char> zero(size_t(rowBytes), 0);
  const auto *in = static_cast<const char *>(input);
  dispatchRows(status, site, counts, indices, output, tokens, topK,
               expertsPerRank, size_t(rowBytes), groupSize, axes, zero.data(),
               [&](int64_t t, int64_t, char *row) {
                 std::memcpy(row, in + size_t(t * rowBytes), size_t(rowBytes));
               });
}

extern "C" void ds_expert_dispatch_indices(
    ds_status *status, int32_t site, const int64_t *counts,
    const int64_t *indices, int64_t *output, int64_t tokens, int64_t topK,
    int64_t expertsPerRank, int64_t groupSize, int64_t axes) {
  const std::vector<int64_t> elsewhere(size_t(topK), -1);
  dispatchRows(status, site, counts, indices, output, tokens, topK,
               expertsPerRank, size_t(topK) * sizeof(int64_t), groupSize, axes,
               elsewhere.data(), [&](int64_t t, int64_t r, char *row) {
                 const int64_t first = r * expertsPerRank;
                 for (int64_t k = 0; k < topK; ++k) {
                   const int64_t e = indices[t * topK + k];
                   const int64_t local =
                       e >= first && e < first + expertsPerRank ? e - first
                                                                : -1;
                   std::memcpy(row + size_t(k) * sizeof(int64_t), &local,
                               sizeof(int64_t));
                 }
               });
}

extern "C" void ds_expert_combine(ds_status *status, int32_t site,
                                  const int64_t *counts,
                                  const int64_t *indices, const void *input,
                                  void *output, int64_t tokens, int64_t topK,
                                  int64_t expertsPerRank, int64_t row,
                                  int32_t dtype, int64_t groupSize,
                                  int64_t axes) {
  if (dtype == DS_COMM_F64)
    combineRows(status, site, counts, indices,
                static_cast<const double *>(input),
                static_cast<double *>(output), tokens, topK, expertsPerRank,
                row, groupSize, axes);
  else
    combineRows(status, site, counts, indices,
                static_cast<const float *>(input), static_cast<float *>(output),
                tokens, topK, expertsPerRank, row, groupSize, axes);
}
