//===- CudaDriverTest.cpp - the runtime's CUDA driver layer ---------------===//
//
// Without a GPU (development and CI machines): loading reports why there is
// no driver, and the mgpu* functions compiled code calls do nothing harmful
// without a device. With one: memory round trips through the device.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/CudaDriver.h"
#include "runtime/cuda/MlirGpuRuntime.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <vector>

extern "C" {
CUmodule mgpuModuleLoad(void *data, size_t size);
CUfunction mgpuModuleGetFunction(CUmodule module, const char *name);
void mgpuLaunchKernel(CUfunction function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedBytes, CUstream stream,
                      void **params, void **extra, size_t paramsCount);
CUstream mgpuStreamCreate();
void *mgpuMemAlloc(uint64_t bytes, CUstream stream, bool isHostShared);
}

namespace {

using namespace ds::rt::cuda;

TEST(CudaDriver, MissingLibraryIsNoDriver) {
  std::string error;
  EXPECT_EQ(Driver::load("/nonexistent/libcuda.so.1", error), nullptr);
  EXPECT_NE(error.find("no CUDA driver on this machine"), std::string::npos)
      << error;
  EXPECT_NE(error.find("/nonexistent/libcuda.so.1"), std::string::npos)
      << error;
}

TEST(CudaDriver, ToolkitStubIsNoDriver) {
  const char *stub = "/usr/local/cuda/lib64/stubs/libcuda.so";
  if (!std::filesystem::exists(stub))
    GTEST_SKIP() << "no CUDA toolkit stub at " << stub;
  std::string error;
  EXPECT_EQ(Driver::load(stub, error), nullptr);
  EXPECT_NE(error.find("stub, not a driver"), std::string::npos) << error;
}

TEST(CudaDriver, CompiledCodeCallsWithoutADeviceAreHarmless) {
  ASSERT_EQ(currentDevice(), nullptr);
  EXPECT_EQ(mgpuStreamCreate(), nullptr);
  EXPECT_EQ(mgpuModuleLoad(nullptr, 0), nullptr);
  EXPECT_EQ(mgpuModuleGetFunction(nullptr, "kernel"), nullptr);
  EXPECT_EQ(mgpuMemAlloc(1024, nullptr, false), nullptr);
  mgpuLaunchKernel(nullptr, 1, 1, 1, 32, 1, 1, 0, nullptr, nullptr, nullptr,
                   0);
}

TEST(CudaDevice, MemoryRoundTrip) {
  std::string error;
  std::unique_ptr<Driver> driver =
      Driver::load(Driver::defaultLibrary(), error);
  if (!driver)
    GTEST_SKIP() << error;
  if (driver->deviceCount(error) < 1)
    GTEST_SKIP() << "no CUDA device";
  std::unique_ptr<Device> device = Device::open(*driver, 0, error);
  ASSERT_NE(device, nullptr) << error;
  ScopedCurrentDevice scope(device.get());
  EXPECT_EQ(mgpuStreamCreate(), device->stream());

  std::vector<float> values(12345);
  std::mt19937 random(7);
  std::uniform_real_distribution<float> uniform(-1, 1);
  for (float &value : values)
    value = uniform(random);
  size_t bytes = values.size() * sizeof(float);
  CUdeviceptr buffer = 0;
  ASSERT_TRUE(device->allocate(bytes, buffer, error)) << error;
  ASSERT_TRUE(device->toDevice(buffer, values.data(), bytes, error)) << error;
  std::vector<float> back(values.size());
  ASSERT_TRUE(device->toHost(back.data(), buffer, bytes, error)) << error;
  EXPECT_EQ(back, values);

  ASSERT_TRUE(device->fill32(buffer, 0x3f800000u, values.size(), error));
  ASSERT_TRUE(device->toHost(back.data(), buffer, bytes, error)) << error;
  EXPECT_EQ(back, std::vector<float>(values.size(), 1.0f));
  EXPECT_TRUE(device->free(buffer, error)) << error;
  EXPECT_FALSE(device->free(buffer, error));
  EXPECT_NE(error.find("not an allocation"), std::string::npos);

  EXPECT_FALSE(Device::open(*driver, 1 << 20, error));
  EXPECT_NE(error.find("no CUDA device"), std::string::npos) << error;
}

} // namespace
