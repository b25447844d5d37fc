#include "memory/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "transformers/error.hpp"

namespace transformers::memory {

namespace {
std::string why(int err) { return std::strerror(err); }

int to_madvise(MappedFile::Advice a) {
  switch (a) {
    case MappedFile::Advice::normal: return MADV_NORMAL;
    case MappedFile::Advice::sequential: return MADV_SEQUENTIAL;
    case MappedFile::Advice::random: return MADV_RANDOM;
    case MappedFile::Advice::will_need: return MADV_WILLNEED;
    case MappedFile::Advice::dont_need: return MADV_DONTNEED;
  }
  return MADV_NORMAL;
}
}  // namespace

MappedFile::MappedFile(const std::filesystem::path& path) : path_(path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw ModelLoadError("cannot open " + path.string() + " for mapping: " + why(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw ModelLoadError("cannot stat " + path.string() + ": " + why(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw ModelLoadError("cannot map " + path.string() + ": not a regular file");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      size_ = 0;
      throw ModelLoadError("cannot map " + path.string() + ": " + why(err));
    }
    data_ = static_cast<std::byte*>(p);
  }
  ::close(fd);  // the mapping keeps the file referenced
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : path_(std::move(other.path_)), data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    reset();
    path_ = std::move(other.path_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() { reset(); }

void MappedFile::reset() {
  if (data_) ::munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

bool MappedFile::advise(Advice advice) const { return advise(advice, 0, size_); }

bool MappedFile::advise(Advice advice, size_t offset, size_t length) const {
  if (!data_ || offset >= size_ || length == 0) return false;
  if (length > size_ - offset) length = size_ - offset;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t begin = offset / page * page;
  const size_t end = offset + length;
  return ::madvise(data_ + begin, end - begin, to_madvise(advice)) == 0;
}

}  // namespace transformers::memory
