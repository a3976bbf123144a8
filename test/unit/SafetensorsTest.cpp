//===- SafetensorsTest.cpp - Safetensors reader and writer
//-----------------===//
//
// Round trips through the writer and reader, the atomic write, and one crafted
// file per kind of malformed input the reader must reject with a clear error.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

using namespace ds::rt;
namespace fs = std::filesystem;

namespace {

constexpr DType kAllDTypes[] = {DType::F64,  DType::F32,     DType::F16,
                                DType::BF16, DType::F8_E4M3, DType::F8_E5M2,
                                DType::I64,  DType::I32,     DType::I16,
                                DType::I8,   DType::U8,      DType::BOOL};

class SafetensorsTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern =
        (fs::temp_directory_path() / "ds-safetensors-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    directory = pattern;
  }
  void TearDown() override { fs::remove_all(directory); }

  std::string pathOf(const std::string &name) const {
    return (directory / name).string();
  }

  static void writeBytes(const std::string &path, const std::string &bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), std::streamsize(bytes.size()));
  }

  static std::string readBytes(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // A file with `header` as its JSON and `dataBytes` bytes of data.
  std::string craft(const std::string &header, size_t dataBytes) {
    std::string bytes;
    for (int i = 0; i < 8; ++i)
      bytes += char(uint64_t(header.size()) >> (8 * i));
    bytes += header + std::string(dataBytes, '\x01');
    std::string path = pathOf("crafted.safetensors");
    writeBytes(path, bytes);
    return path;
  }

  // Opens `path`, expecting failure; returns the error, which must start
  // with the path.
  static std::string openError(const std::string &path) {
    std::string error;
    auto reader = SafetensorsReader::open(path, error);
    EXPECT_EQ(reader, nullptr) << path;
    EXPECT_EQ(error.rfind(path + ": ", 0), 0u) << error;
    return error;
  }

  std::vector<std::string> leftoverTemporaries() const {
    std::vector<std::string> names;
    for (const auto &entry : fs::directory_iterator(directory))
      if (entry.path().filename().string().find(".tmp.") != std::string::npos)
        names.push_back(entry.path().filename().string());
    return names;
  }

  fs::path directory;
};

// Random non-zero values each dtype holds exactly.
std::vector<double> randomValues(DType dtype, size_t count, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<double> values;
  while (values.size() < count) {
    double value;
    switch (dtype) {
    case DType::BOOL:
      value = 1;
      break;
    case DType::U8:
      value = double(random() % 255 + 1);
      break;
    case DType::I64:
      value = double(int64_t(random()) >> 11); // within double's 53 bits
      break;
    case DType::I32:
    case DType::I16:
    case DType::I8:
      value = roundToDType(dtype, double(int64_t(random())));
      break;
    default: {
      std::normal_distribution<double> normal(0, 50);
      value = roundToDType(dtype, normal(random));
    }
    }
    if (value != 0)
      values.push_back(value);
  }
  return values;
}

} // namespace

TEST_F(SafetensorsTest, RoundTripsEveryDTypeAndPacksLikeTheReferenceWriter) {
  std::vector<std::vector<double>> values;
  std::vector<TensorToWrite> tensors;
  for (DType dtype : kAllDTypes) {
    // Odd element counts, so a naive layout would misalign wider types.
    std::vector<int64_t> shape = {3, 5};
    values.push_back(randomValues(dtype, 15, uint64_t(dtype) + 1));
    tensors.push_back({std::string("t.") + dtypeName(dtype), dtype, shape,
                       values.back().data()});
  }
  std::string path = pathOf("all.safetensors"), error;
  ASSERT_TRUE(writeSafetensors(path, tensors, {}, error)) << error;
  EXPECT_TRUE(leftoverTemporaries().empty());

  auto reader = SafetensorsReader::open(path, error);
  ASSERT_NE(reader, nullptr) << error;
  EXPECT_EQ(reader->path(), path);
  EXPECT_TRUE(reader->metadata().empty());
  ASSERT_EQ(reader->tensors().size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorEntry *entry = reader->find(tensors[i].name);
    ASSERT_NE(entry, nullptr) << tensors[i].name;
    EXPECT_EQ(entry->dtype, tensors[i].dtype);
    EXPECT_EQ(entry->shape, tensors[i].shape);
    EXPECT_EQ(entry->numElements(), 15);
    EXPECT_EQ(entry->offset % dtypeSize(entry->dtype), 0u) << entry->name;
    EXPECT_EQ(reader->readAsDoubles(*entry), values[i]) << entry->name;
  }
  // The reference reader requires the tensors to tile the data buffer
  // exactly, in offset order, and the header to be padded to 8 bytes.
  uint64_t headerLength = reader->tensors().front().offset - 8;
  EXPECT_EQ(headerLength % 8, 0u);
  uint64_t expectedOffset = 8 + headerLength;
  for (const TensorEntry &entry : reader->tensors()) {
    EXPECT_EQ(entry.offset, expectedOffset) << entry.name;
    expectedOffset += entry.byteSize;
  }
  EXPECT_EQ(expectedOffset, fs::file_size(path));
  EXPECT_EQ(reader->find("missing"), nullptr);
}

TEST_F(SafetensorsTest, KeepsGivenOrderAmongTensorsOfOneSize) {
  std::vector<double> values = randomValues(DType::F32, 4, 7);
  std::vector<TensorToWrite> tensors = {
      {"z", DType::F32, {4}, values.data()},
      {"a", DType::F32, {2, 2}, values.data()},
      {"m", DType::I32, {1, 4}, values.data()}};
  std::string path = pathOf("order.safetensors"), error;
  ASSERT_TRUE(writeSafetensors(path, tensors, {}, error)) << error;
  auto reader = SafetensorsReader::open(path, error);
  ASSERT_NE(reader, nullptr) << error;
  ASSERT_EQ(reader->tensors().size(), 3u);
  EXPECT_EQ(reader->tensors()[0].name, "z");
  EXPECT_EQ(reader->tensors()[1].name, "a");
  EXPECT_EQ(reader->tensors()[2].name, "m");
}

TEST_F(SafetensorsTest, RoundTripsMetadataScalarsAndEmptyTensors) {
  double scalar = 2.5;
  std::map<std::string, std::string> metadata = {
      {"format", "pt"}, {"step", "1200"}, {"note", "ünïcode \"quoted\""}};
  std::vector<TensorToWrite> tensors = {{"scalar", DType::F32, {}, &scalar},
                                        {"empty", DType::F16, {0, 4}, nullptr}};
  std::string path = pathOf("meta.safetensors"), error;
  ASSERT_TRUE(writeSafetensors(path, tensors, metadata, error)) << error;
  auto reader = SafetensorsReader::open(path, error);
  ASSERT_NE(reader, nullptr) << error;
  EXPECT_EQ(reader->metadata(), metadata);
  const TensorEntry *scalarEntry = reader->find("scalar");
  ASSERT_NE(scalarEntry, nullptr);
  EXPECT_EQ(scalarEntry->numElements(), 1);
  EXPECT_EQ(reader->readAsDoubles(*scalarEntry), std::vector<double>{2.5});
  const TensorEntry *emptyEntry = reader->find("empty");
  ASSERT_NE(emptyEntry, nullptr);
  EXPECT_EQ(emptyEntry->numElements(), 0);
  EXPECT_EQ(emptyEntry->byteSize, 0u);
  EXPECT_TRUE(reader->readAsDoubles(*emptyEntry).empty());
}

TEST_F(SafetensorsTest, ReplacesAnExistingFile) {
  std::string path = pathOf("replace.safetensors"), error;
  writeBytes(path, "old contents");
  double one = 1;
  ASSERT_TRUE(writeSafetensors(path, {{"x", DType::F64, {1}, &one}}, {}, error))
      << error;
  auto reader = SafetensorsReader::open(path, error);
  ASSERT_NE(reader, nullptr) << error;
  EXPECT_TRUE(leftoverTemporaries().empty());
}

TEST_F(SafetensorsTest, FailedWriteLeavesDestinationUntouched) {
  std::string path = pathOf("kept.safetensors"), error;
  writeBytes(path, "previous checkpoint");
  double one = 1;
  std::vector<TensorToWrite> duplicate = {{"w", DType::F32, {1}, &one},
                                          {"w", DType::F32, {1}, &one}};
  EXPECT_FALSE(writeSafetensors(path, duplicate, {}, error));
  EXPECT_NE(error.find("duplicate tensor name 'w'"), std::string::npos)
      << error;
  EXPECT_EQ(readBytes(path), "previous checkpoint");

  // The rename fails when the destination is a non-empty directory; the
  // temporary file must not be left behind.
  std::string directoryPath = pathOf("a-directory");
  fs::create_directory(directoryPath);
  writeBytes(directoryPath + "/inside", "x");
  error.clear();
  EXPECT_FALSE(writeSafetensors(directoryPath, {{"w", DType::F32, {1}, &one}},
                                {}, error));
  EXPECT_EQ(error.rfind(directoryPath + ": ", 0), 0u) << error;
  EXPECT_TRUE(fs::is_directory(directoryPath));
  EXPECT_TRUE(leftoverTemporaries().empty());
}

TEST_F(SafetensorsTest, WriteIntoMissingDirectoryFails) {
  std::string path = pathOf("no/such/dir/x.safetensors"), error;
  double one = 1;
  EXPECT_FALSE(
      writeSafetensors(path, {{"w", DType::F32, {1}, &one}}, {}, error));
  EXPECT_EQ(error.rfind(path + ": ", 0), 0u) << error;
  EXPECT_NE(error.find("No such file or directory"), std::string::npos)
      << error;
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(SafetensorsTest, WriterRejectsInvalidTensors) {
  std::string path = pathOf("bad.safetensors"), error;
  double one = 1;
  EXPECT_FALSE(
      writeSafetensors(path, {{"w", DType::F32, {-1}, &one}}, {}, error));
  EXPECT_NE(error.find("tensor 'w'"), std::string::npos) << error;
  EXPECT_FALSE(writeSafetensors(path, {{"__metadata__", DType::F32, {1}, &one}},
                                {}, error));
  EXPECT_NE(error.find("invalid tensor name"), std::string::npos) << error;
  EXPECT_FALSE(
      writeSafetensors(path, {{"w", DType::F32, {2}, nullptr}}, {}, error));
  EXPECT_NE(error.find("null"), std::string::npos) << error;
  EXPECT_FALSE(writeSafetensors(
      path, {{"w", DType::F32, {int64_t(1) << 62, 8}, &one}}, {}, error));
  EXPECT_NE(error.find("too many elements"), std::string::npos) << error;
  EXPECT_FALSE(
      writeSafetensors(path, {{"bad\xff", DType::F32, {1}, &one}}, {}, error));
  EXPECT_NE(error.find("UTF-8"), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(leftoverTemporaries().empty());
}

TEST_F(SafetensorsTest, RejectsMissingAndShortFiles) {
  EXPECT_NE(openError(pathOf("missing.safetensors")).find("No such file"),
            std::string::npos);
  EXPECT_NE(openError(directory.string()).find("directory"), std::string::npos);
  std::string path = pathOf("short.safetensors");
  writeBytes(path, "abc");
  EXPECT_NE(openError(path).find("truncated"), std::string::npos);
}

TEST_F(SafetensorsTest, RejectsBadHeaderLengths) {
  std::string path = pathOf("length.safetensors");
  std::string bytes(8, '\0');
  bytes[0] = char(0xE8); // 1000
  bytes[1] = char(0x03);
  writeBytes(path, bytes + "{}" + std::string(18, ' '));
  EXPECT_NE(openError(path).find(
                "truncated: header length 1000 exceeds the file size 28"),
            std::string::npos);

  std::string huge(8, '\0');
  huge[3] = char(0x10); // 2^28 = 268435456 > 100 MB
  writeBytes(path, huge + "{}");
  EXPECT_NE(openError(path).find("header length 268435456 exceeds the "
                                 "100000000-byte limit"),
            std::string::npos);
  writeBytes(path, std::string(8, '\xff') + "{}");
  EXPECT_NE(openError(path).find("exceeds"), std::string::npos);
}

TEST_F(SafetensorsTest, RejectsMalformedJson) {
  std::string error = openError(craft("{\"w\": ", 0));
  EXPECT_NE(error.find("not valid JSON"), std::string::npos) << error;
  EXPECT_NE(error.find("parse error"), std::string::npos) << error;
  error = openError(craft("{\"w\xff\": {}}", 0));
  EXPECT_NE(error.find("not valid JSON"), std::string::npos) << error;
  error = openError(craft("[1, 2]  ", 0));
  EXPECT_NE(error.find("must be a JSON object, got array"), std::string::npos)
      << error;
}

TEST_F(SafetensorsTest, RejectsMalformedEntries) {
  struct Case {
    const char *header;
    const char *expected;
  };
  const Case cases[] = {
      {R"({"w": 5})", "tensor 'w': entry must be a JSON object, got number"},
      {R"({"w": {"shape": [1], "data_offsets": [0, 4]}})",
       "tensor 'w': missing \"dtype\""},
      {R"({"w": {"dtype": 3, "shape": [1], "data_offsets": [0, 4]}})",
       "tensor 'w': \"dtype\" must be a string"},
      {R"({"w": {"dtype": "F12", "shape": [1], "data_offsets": [0, 4]}})",
       "tensor 'w': unknown dtype \"F12\""},
      {R"({"w": {"dtype": "F32", "data_offsets": [0, 4]}})",
       "tensor 'w': missing \"shape\""},
      {R"({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})",
       "tensor 'w': \"shape\" must be an array of non-negative integers"},
      {R"({"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})",
       "tensor 'w': \"shape\" must be"},
      {R"({"w": {"dtype": "F32", "shape": "1", "data_offsets": [0, 4]}})",
       "tensor 'w': \"shape\" must be"},
      {R"({"w": {"dtype": "F32", "shape": [1, "2"], "data_offsets": [0, 8]}})",
       "tensor 'w': \"shape\" must be"},
      {R"({"w": {"dtype": "F32", "shape": [1]}})",
       "tensor 'w': missing \"data_offsets\""},
      {R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}})",
       "tensor 'w': \"data_offsets\" must be [begin, end]"},
      {R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})",
       "tensor 'w': \"data_offsets\" must be"},
      {R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, -4]}})",
       "tensor 'w': \"data_offsets\" must be"},
      {R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4.0]}})",
       "tensor 'w': \"data_offsets\" must be"},
      {R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}})",
       "tensor 'w': \"data_offsets\" must be"},
      {R"({"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 20]}})",
       "tensor 'w': data_offsets span 20 bytes, but shape [2, 3] of F32 "
       "needs 24"},
      {R"({"w": {"dtype": "F32", "shape": [4611686018427387904, 4],
              "data_offsets": [0, 16]}})",
       "tensor 'w': shape [4611686018427387904, 4] of F32 has more bytes"},
      {R"({"w": {"dtype": "I8", "shape": [18446744073709551615],
              "data_offsets": [0, 16]}})",
       "tensor 'w': \"shape\" must be"},
  };
  for (const Case &c : cases) {
    std::string error = openError(craft(c.header, 32));
    EXPECT_NE(error.find(c.expected), std::string::npos)
        << "header " << c.header << "\nerror " << error;
  }
}

TEST_F(SafetensorsTest, RejectsDataBeyondTheFile) {
  std::string error = openError(craft(
      R"({"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}})",
      16));
  EXPECT_NE(error.find("tensor 'w': truncated file"), std::string::npos)
      << error;
  EXPECT_NE(error.find("expects at least 24 data bytes"), std::string::npos)
      << error;
  EXPECT_NE(error.find("holds only 16"), std::string::npos) << error;
  error = openError(craft(R"({"w": {"dtype": "U8", "shape": [0],
      "data_offsets": [18446744073709551615, 18446744073709551615]}})",
                          16));
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
}

TEST_F(SafetensorsTest, RejectsOverlapsAndDuplicates) {
  std::string error = openError(
      craft(R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}})",
            24));
  EXPECT_NE(error.find("tensors 'a' and 'b' overlap: data_offsets [0, 16) "
                       "and [8, 24)"),
            std::string::npos)
      << error;
  // A tensor nested inside a longer one, listed before it by name.
  error = openError(
      craft(R"({"a": {"dtype": "F32", "shape": [6], "data_offsets": [0, 24]},
                "b": {"dtype": "F32", "shape": [1], "data_offsets": [12, 16]},
                "c": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
            24));
  EXPECT_NE(error.find("tensors 'a' and 'c' overlap"), std::string::npos)
      << error;
  error = openError(
      craft(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                "w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
            8));
  EXPECT_NE(error.find("duplicate tensor name 'w'"), std::string::npos)
      << error;
  error = openError(craft(R"({"w": {"dtype": "F32", "dtype": "F16",
      "shape": [1], "data_offsets": [0, 4]}})",
                          8));
  EXPECT_NE(error.find("tensor 'w': duplicate key 'dtype'"), std::string::npos)
      << error;
}

TEST_F(SafetensorsTest, RejectsBadMetadata) {
  std::string error = openError(craft(R"({"__metadata__": {"k": 1}})", 0));
  EXPECT_NE(error.find("__metadata__: value of 'k' must be a string, got "
                       "number"),
            std::string::npos)
      << error;
  error = openError(craft(R"({"__metadata__": ["k"]})", 0));
  EXPECT_NE(error.find("__metadata__ must be a JSON object of strings"),
            std::string::npos)
      << error;
  error = openError(craft(R"({"__metadata__": {"k": "a", "k": "b"}})", 0));
  EXPECT_NE(error.find("__metadata__: duplicate key 'k'"), std::string::npos)
      << error;
}

TEST_F(SafetensorsTest, AcceptsEmptyTensorsGapsAndTrailingBytes) {
  // Other writers may leave gaps; an empty tensor occupies no bytes, even
  // inside another tensor's range.
  std::string path = craft(
      R"({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
          "e": {"dtype": "F32", "shape": [0], "data_offsets": [2, 2]},
          "b": {"dtype": "U8", "shape": [2], "data_offsets": [8, 10]}})",
      16);
  std::string error;
  auto reader = SafetensorsReader::open(path, error);
  ASSERT_NE(reader, nullptr) << error;
  ASSERT_EQ(reader->tensors().size(), 3u);
  EXPECT_EQ(reader->tensors()[0].name, "a");
  EXPECT_EQ(reader->tensors()[1].name, "e");
  EXPECT_EQ(reader->tensors()[2].name, "b");
  EXPECT_EQ(reader->readAsDoubles(*reader->find("b")),
            (std::vector<double>{1, 1}));
  TensorEntry foreign{"x", DType::F32, {1}, fs::file_size(path), 4};
  EXPECT_EQ(reader->bytes(foreign), nullptr);
  EXPECT_TRUE(reader->readAsDoubles(foreign).empty());
}

TEST_F(SafetensorsTest, SurvivesTruncationAndCorruptionAnywhere) {
  std::vector<double> values = randomValues(DType::F32, 6, 3);
  std::string path = pathOf("good.safetensors"), error;
  ASSERT_TRUE(writeSafetensors(path,
                               {{"first", DType::F32, {2, 3}, values.data()},
                                {"second", DType::BF16, {6}, values.data()}},
                               {{"k", "v"}}, error))
      << error;
  const std::string good = readBytes(path);
  std::string mutated = pathOf("mutated.safetensors");
  for (size_t length = 0; length < good.size(); ++length) {
    writeBytes(mutated, good.substr(0, length));
    auto reader = SafetensorsReader::open(mutated, error);
    EXPECT_EQ(reader, nullptr) << "length " << length;
  }
  std::mt19937 random(11);
  for (int trial = 0; trial < 400; ++trial) {
    std::string bytes = good;
    for (int flips = 1 + trial % 3; flips > 0; --flips)
      bytes[random() % bytes.size()] ^= char(1 << (random() % 8));
    writeBytes(mutated, bytes);
    error.clear();
    auto reader = SafetensorsReader::open(mutated, error);
    if (!reader) {
      EXPECT_EQ(error.rfind(mutated + ": ", 0), 0u) << error;
      continue;
    }
    for (const TensorEntry &entry : reader->tensors()) {
      ASSERT_NE(reader->bytes(entry), nullptr);
      EXPECT_EQ(int64_t(reader->readAsDoubles(entry).size()),
                entry.numElements());
    }
  }
}
