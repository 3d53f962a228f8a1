#pragma once
// Numbers for people: 1.5 KiB, 320 KiB, 2.0 GiB; 260K, 6.7B.
#include <QString>
#include <cstdint>

namespace kvs::ui {

QString human_bytes(std::int64_t bytes);  // binary units (KiB, MiB, GiB)
QString human_count(double n);            // K, M, B

}  // namespace kvs::ui
