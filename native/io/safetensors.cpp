#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

namespace senet {

namespace {

using json = nlohmann::json;

struct DtypeInfo {
  const char* name;
  torch::ScalarType type;
  uint64_t bytes;
};

const std::vector<DtypeInfo>& dtypes() {
  static const std::vector<DtypeInfo> table = {
      {"F64", torch::kFloat64, 8}, {"F32", torch::kFloat32, 4}, {"F16", torch::kFloat16, 2},
      {"BF16", torch::kBFloat16, 2}, {"I64", torch::kInt64, 8}, {"I32", torch::kInt32, 4},
      {"I16", torch::kInt16, 2},   {"I8", torch::kInt8, 1},     {"U8", torch::kUInt8, 1},
      {"BOOL", torch::kBool, 1}};
  return table;
}

const DtypeInfo* findDtype(const std::string& name) {
  for (const auto& d : dtypes()) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

const DtypeInfo& dtypeFor(torch::ScalarType type) {
  for (const auto& d : dtypes()) {
    if (d.type == type) return d;
  }
  throw SafetensorsError(std::string("cannot store tensors of type ") + c10::toString(type) + " in safetensors");
}

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw SafetensorsError(source + ": not a valid safetensors file: " + what);
}

uint64_t readU64LE(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void writeU64LE(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

uint64_t checkedMul(uint64_t a, uint64_t b, const std::string& source, const std::string& key) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) fail(source, "tensor '" + key + "' is too large");
  return a * b;
}

TensorEntry parseEntry(const std::string& key, const json& value, uint64_t dataSize, const std::string& source) {
  if (!value.is_object()) fail(source, "entry '" + key + "' is not an object");
  TensorEntry entry;
  entry.name = key;
  auto dtype = value.find("dtype");
  if (dtype == value.end() || !dtype->is_string()) fail(source, "entry '" + key + "' has no string 'dtype'");
  entry.dtype = dtype->get<std::string>();
  const DtypeInfo* info = findDtype(entry.dtype);
  if (!info) fail(source, "entry '" + key + "' has unsupported dtype '" + entry.dtype + "'");

  auto shape = value.find("shape");
  if (shape == value.end() || !shape->is_array()) fail(source, "entry '" + key + "' has no 'shape' array");
  uint64_t numel = 1;
  for (const auto& dim : *shape) {
    if (!dim.is_number_unsigned() || dim.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      fail(source, "entry '" + key + "' has a shape dimension that is not a non-negative integer");
    }
    numel = checkedMul(numel, dim.get<uint64_t>(), source, key);
    entry.shape.push_back(static_cast<int64_t>(dim.get<uint64_t>()));
  }

  auto offsets = value.find("data_offsets");
  if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
      !(*offsets)[1].is_number_unsigned()) {
    fail(source, "entry '" + key + "' needs 'data_offsets' as two non-negative integers");
  }
  entry.begin = (*offsets)[0].get<uint64_t>();
  entry.end = (*offsets)[1].get<uint64_t>();
  if (entry.begin > entry.end || entry.end > dataSize) {
    fail(source, "entry '" + key + "' claims bytes [" + std::to_string(entry.begin) + ", " +
                     std::to_string(entry.end) + ") but the data section has " + std::to_string(dataSize) +
                     " bytes (truncated file?)");
  }
  const uint64_t expected = checkedMul(numel, info->bytes, source, key);
  if (entry.end - entry.begin != expected) {
    fail(source, "entry '" + key + "' spans " + std::to_string(entry.end - entry.begin) + " bytes but its dtype " +
                     entry.dtype + " and shape need " + std::to_string(expected));
  }
  return entry;
}

}  // namespace

SafetensorsHeader parseSafetensorsHeader(const uint8_t* bytes, uint64_t size, const std::string& source) {
  if (size < 8) fail(source, "file has " + std::to_string(size) + " bytes, fewer than the 8-byte header length");
  const uint64_t headerLength = readU64LE(bytes);
  if (headerLength > kMaxHeaderBytes) {
    fail(source, "header length " + std::to_string(headerLength) + " exceeds the 100 MiB limit");
  }
  if (headerLength > size - 8) {
    fail(source, "header length " + std::to_string(headerLength) + " runs past the end of the file (" +
                     std::to_string(size) + " bytes)");
  }
  const char* text = reinterpret_cast<const char*>(bytes + 8);
  json header = json::parse(text, text + headerLength, /*callback=*/nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) fail(source, "header is not valid JSON");
  if (!header.is_object()) fail(source, "header is not a JSON object");

  SafetensorsHeader result;
  result.dataStart = 8 + headerLength;
  result.dataSize = size - result.dataStart;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) fail(source, "__metadata__ is not an object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string()) fail(source, "__metadata__ value '" + m.key() + "' is not a string");
        result.metadata[m.key()] = m->get<std::string>();
      }
      continue;
    }
    result.tensors.push_back(parseEntry(it.key(), *it, result.dataSize, source));
  }
  std::sort(result.tensors.begin(), result.tensors.end(),
            [](const TensorEntry& a, const TensorEntry& b) { return a.begin < b.begin; });
  return result;
}

SafetensorsFile decodeSafetensors(const std::vector<uint8_t>& bytes, const std::string& source) {
  const SafetensorsHeader header = parseSafetensorsHeader(bytes.data(), bytes.size(), source);
  SafetensorsFile file;
  file.metadata = header.metadata;
  for (const auto& entry : header.tensors) {
    const DtypeInfo& info = *findDtype(entry.dtype);
    auto tensor = torch::empty(entry.shape, torch::TensorOptions().dtype(info.type));
    if (entry.end > entry.begin) {
      std::memcpy(tensor.data_ptr(), bytes.data() + header.dataStart + entry.begin, entry.end - entry.begin);
    }
    file.tensors.emplace_back(entry.name, std::move(tensor));
  }
  return file;
}

SafetensorsFile readSafetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw SafetensorsError("cannot open weights file '" + path + "': " + std::strerror(errno));
  const std::streamoff size = in.tellg();
  if (size < 0) throw SafetensorsError("cannot read weights file '" + path + "'");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size)) {
    throw SafetensorsError("cannot read weights file '" + path + "'");
  }
  return decodeSafetensors(bytes, path);
}

namespace {

void writeAll(int fd, const uint8_t* data, size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t written = ::write(fd, data, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      throw SafetensorsError("cannot write '" + path + "': " + std::strerror(errno));
    }
    data += written;
    size -= static_cast<size_t>(written);
  }
}

}  // namespace

void writeSafetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> contiguous;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    auto cpu = tensor.detach().to(torch::kCPU).contiguous();
    const DtypeInfo& info = dtypeFor(cpu.scalar_type());
    const uint64_t bytes = static_cast<uint64_t>(cpu.numel()) * info.bytes;
    header[name] = {{"dtype", info.name}, {"shape", cpu.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    contiguous.push_back(std::move(cpu));
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // align the data section to 8 bytes

  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw SafetensorsError("cannot create '" + temp + "': " + std::strerror(errno));
  try {
    uint8_t prefix[8];
    writeU64LE(prefix, text.size());
    writeAll(fd, prefix, 8, temp);
    writeAll(fd, reinterpret_cast<const uint8_t*>(text.data()), text.size(), temp);
    for (const auto& t : contiguous) {
      writeAll(fd, static_cast<const uint8_t*>(t.data_ptr()), t.numel() * t.element_size(), temp);
    }
    if (::fsync(fd) != 0) throw SafetensorsError("cannot flush '" + temp + "': " + std::strerror(errno));
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw SafetensorsError("cannot move weights into '" + path + "': " + std::strerror(err));
  }
}

}  // namespace senet
