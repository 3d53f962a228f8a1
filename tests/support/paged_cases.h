#pragma once
// The pool shapes every paged-against-contiguous test runs: blocks of 1, 16 and the whole
// context, handed out in order, reversed and shuffled, with and without spare blocks.
#include <QtTest>

#include <algorithm>

#include "core/backend.h"
#include "kv/block_table.h"

namespace kvs::test {

inline void add_paged_cases() {
    QTest::addColumn<int>("block_size");
    QTest::addColumn<int>("order");       // BlockOrder
    QTest::addColumn<int>("extra_blocks");  // blocks beyond what one full sequence needs
    QTest::addRow("block 1, shuffled") << 1 << int(BlockOrder::Shuffled) << 0;
    QTest::addRow("block 16") << 16 << int(BlockOrder::Ascending) << 0;
    QTest::addRow("block 16, reversed") << 16 << int(BlockOrder::Descending) << 0;
    QTest::addRow("block 16, shuffled, spare blocks") << 16 << int(BlockOrder::Shuffled) << 9;
    QTest::addRow("block 7, shuffled") << 7 << int(BlockOrder::Shuffled) << 3;
    QTest::addRow("whole context") << 512 << int(BlockOrder::Ascending) << 0;
}

// Options of the case in the current data row, on top of `base`.
inline BackendOptions paged_options(BackendOptions base = {}) {
    QFETCH(int, block_size);
    QFETCH(int, order);
    QFETCH(int, extra_blocks);
    base.block_size = block_size;
    base.block_order = BlockOrder(order);
    base.block_seed = 11;
    const int capacity = base.kv_capacity > 0 ? base.kv_capacity : 512;
    base.kv_blocks = (capacity + block_size - 1) / block_size + extra_blocks;
    return base;
}

// The table of the current data row's sequence really is in the row's order: ascending physical
// blocks as handed out, descending when reversed, out of order when shuffled.
inline void verify_block_order(const BlockTable& table) {
    QFETCH(int, order);
    const auto blocks = table.blocks();
    if (blocks.size() < 2) return;
    if (BlockOrder(order) == BlockOrder::Ascending)
        QVERIFY(std::is_sorted(blocks.begin(), blocks.end()));
    else if (BlockOrder(order) == BlockOrder::Descending)
        QVERIFY(std::is_sorted(blocks.rbegin(), blocks.rend()));
    else
        QVERIFY2(!std::is_sorted(blocks.begin(), blocks.end()) && !std::is_sorted(blocks.rbegin(), blocks.rend()),
                 "a shuffled pool handed its blocks out in order");
}

inline BackendOptions contiguous_options(BackendOptions base = {}) {
    base.block_size = 0;
    return base;
}

}  // namespace kvs::test
