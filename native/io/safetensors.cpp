#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
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

void writeU64LE(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

SafetensorsFile decodeSafetensors(const std::vector<uint8_t>& bytes, const std::string& source) {
  const SafetensorsHeader header = parseSafetensorsHeader(bytes.data(), bytes.size(), source);
  SafetensorsFile file;
  file.metadata = header.metadata;
  for (const auto& entry : header.tensors) {
    // The header parser knows the same dtype names (safetensorsDtypeBytes); a
    // name only it knew would be a table out of sync, not a bad file.
    const DtypeInfo* info = findDtype(entry.dtype);
    if (!info) throw SafetensorsError(source + ": dtype '" + entry.dtype + "' has no tensor type in this build");
    auto tensor = torch::empty(entry.shape, torch::TensorOptions().dtype(info->type));
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

SafetensorsHeader readSafetensorsHeader(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw SafetensorsError("cannot open weights file '" + path + "': " + std::strerror(errno));
  const std::streamoff size = in.tellg();
  if (size < 0) throw SafetensorsError("cannot read weights file '" + path + "'");
  in.seekg(0);
  // The length prefix says how much more to read; the parser checks it (and every range) against the file size.
  std::vector<uint8_t> bytes(static_cast<size_t>(std::min<std::streamoff>(size, 8)));
  if (!bytes.empty() && !in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()))) {
    throw SafetensorsError("cannot read weights file '" + path + "'");
  }
  if (bytes.size() == 8) {
    uint64_t length = 0;
    for (int i = 7; i >= 0; --i) length = (length << 8) | bytes[static_cast<size_t>(i)];
    if (length <= kMaxHeaderBytes && length <= static_cast<uint64_t>(size) - 8) {
      bytes.resize(8 + static_cast<size_t>(length));
      if (!in.read(reinterpret_cast<char*>(bytes.data() + 8), static_cast<std::streamsize>(length))) {
        throw SafetensorsError("cannot read weights file '" + path + "'");
      }
    }
  }
  // A too-short file or an oversized length is refused by the parser, which sees the real file size.
  return parseSafetensorsHeader(bytes.data(), static_cast<uint64_t>(size), path);
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
