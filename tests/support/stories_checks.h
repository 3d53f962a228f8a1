#pragma once
// The shape every loader must read for stories260K (../shared/README.md), whatever the format.
#include <QtTest>

#include "model/model_config.h"

namespace kvs::test {

// Callers return early when QTest::currentTestFailed() afterwards.
inline void compare_stories260k_shape(const ModelConfig& c) {
    QCOMPARE(c.dim, 64);
    QCOMPARE(c.hidden_dim, 172);
    QCOMPARE(c.n_layers, 5);
    QCOMPARE(c.n_heads, 8);
    QCOMPARE(c.n_kv_heads, 4);
    QCOMPARE(c.vocab_size, 512);
    QCOMPARE(c.max_seq_len, 512);
}

}  // namespace kvs::test
