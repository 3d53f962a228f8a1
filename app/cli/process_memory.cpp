#include "process_memory.h"

#include <malloc.h>
#include <unistd.h>

#include <fstream>

namespace kvs::cli {

std::int64_t resident_bytes() {
    malloc_trim(0);
    std::ifstream statm("/proc/self/statm");
    std::int64_t size_pages = 0, resident_pages = 0;
    if (!(statm >> size_pages >> resident_pages)) return -1;
    return resident_pages * std::int64_t(sysconf(_SC_PAGESIZE));
}

}  // namespace kvs::cli
