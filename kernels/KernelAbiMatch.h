//===- KernelAbiMatch.h - compare a C prototype with KernelAbi.h -*- C++ -*-===//
//
// The compile-time half of the kernel ABI check: `matches(&fn, name)` is
// true when the C function `fn` takes exactly the arguments kernels/
// KernelAbi.h lists for the kernel `name`. Included by the CPU and the
// CUDA kernels' KernelAbiCheck.cpp, which static_assert it per kernel.
//
//===----------------------------------------------------------------------===//

#ifndef DS_KERNELS_KERNELABIMATCH_H
#define DS_KERNELS_KERNELABIMATCH_H

#include "kernels/KernelAbi.h"
#include "kernels/cpu/Status.h"

#include <type_traits>

namespace ds::kernels::abi_match {

/// The ABI kind of a C parameter type.
template <typename T> struct ArgOf;
template <> struct ArgOf<ds_status *> {
  static constexpr Arg value{ArgKind::Status};
};
template <> struct ArgOf<int32_t> {
  static constexpr Arg value{ArgKind::I32};
};
template <> struct ArgOf<int64_t> {
  static constexpr Arg value{ArgKind::I64};
};
template <> struct ArgOf<double> {
  static constexpr Arg value{ArgKind::F64};
};

template <typename T> constexpr Element elementOf() {
  if constexpr (std::is_same_v<T, float>)
    return Element::F32;
  else if constexpr (std::is_same_v<T, double>)
    return Element::F64;
  else if constexpr (std::is_same_v<T, int32_t>)
    return Element::I32;
  else if constexpr (std::is_same_v<T, int64_t>)
    return Element::I64;
  else {
    static_assert(std::is_void_v<T>, "a buffer of an element type the ABI "
                                     "does not name");
    return Element::Any;
  }
}

template <typename T> struct ArgOf<const T *> {
  static constexpr Arg value{ArgKind::In, elementOf<T>()};
};
template <typename T> struct ArgOf<T *> {
  static constexpr Arg value{ArgKind::Out, elementOf<T>()};
};

template <typename... Params>
constexpr bool matches(void (*)(Params...), std::string_view name) {
  const KernelSpec *kernel = findKernel(name);
  if (!kernel || kernel->count != sizeof...(Params))
    return false;
  constexpr Arg actual[] = {ArgOf<Params>::value..., Arg{ArgKind::I32}};
  for (size_t i = 0; i < sizeof...(Params); ++i)
    if (!(actual[i] == kernel->args[i]))
      return false;
  return true;
}

} // namespace ds::kernels::abi_match

#endif // DS_KERNELS_KERNELABIMATCH_H
