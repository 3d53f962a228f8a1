// The CPU backend's cache memory becomes resident as blocks are written, not when the pool is
// created: a run that fills a few blocks of a long context holds those blocks' pages only. The
// resident size is the kernel's (/proc/self/statm); the expected sizes are worked out by hand.
#include <QtTest>

#include <cstdio>
#include <unistd.h>
#include <vector>

#include "kv/block_table.h"
#include "kv/kv_host_storage.h"
#include "kv/kv_layout.h"

using namespace kvs;

namespace {

double resident_mib() {
    long pages_total = 0, pages_resident = 0;
    FILE* f = std::fopen("/proc/self/statm", "r");
    if (f == nullptr) return -1.0;
    const int read = std::fscanf(f, "%ld %ld", &pages_total, &pages_resident);
    std::fclose(f);
    return read == 2 ? double(pages_resident) * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0) : -1.0;
}

}  // namespace

class TestKvHostResidency : public QObject {
    Q_OBJECT
private slots:
    // 4 layers x K,V x 4 KV heads x 4096 positions x head_dim 64 x 4 bytes = 32 MiB, in blocks
    // of 16 positions: one block of one head of one part is 16 x 64 x 4 = 4 KiB, a page.
    void onlyWrittenBlocksAreResident() {
        KvLayout layout;
        layout.n_layers = 4;
        layout.n_kv_heads = 4;
        layout.head_dim = 64;
        layout.capacity = 4096;
        layout.block_size = 16;
        layout.dtype = KvDtype::F32;
        const double before = resident_mib();
        QVERIFY(before > 0.0);
        KvHostStorage storage(layout);
        QCOMPARE(storage.bytes(), std::int64_t(32) * 1024 * 1024);
        const double created = resident_mib();
        QVERIFY2(created - before < 2.0, qPrintable(QString("%1 MiB resident on creation").arg(created - before)));

        // The first block of one sequence, every layer, part and head: 32 pages, 128 KiB.
        const std::vector<float> row(64, 1.0f);
        BlockTable first(16, {0}, 16);
        for (int layer = 0; layer < 4; ++layer)
            for (KvPart part : {KvPart::Key, KvPart::Value})
                for (int head = 0; head < 4; ++head)
                    for (int slot = 0; slot < 16; ++slot) storage.write(layer, part, head, first, slot, row.data());
        const double one_block = resident_mib();
        QVERIFY2(one_block - before < 2.0, qPrintable(QString("%1 MiB resident after one block").arg(one_block - before)));

        // Every block of the pool: the whole 32 MiB.
        std::vector<int> all_blocks(256);
        for (int b = 0; b < 256; ++b) all_blocks[std::size_t(b)] = b;
        BlockTable whole(16, all_blocks, 4096);
        for (int layer = 0; layer < 4; ++layer)
            for (KvPart part : {KvPart::Key, KvPart::Value})
                for (int head = 0; head < 4; ++head)
                    for (int slot = 0; slot < 4096; ++slot) storage.write(layer, part, head, whole, slot, row.data());
        const double full = resident_mib();
        QVERIFY2(full - before > 31.0, qPrintable(QString("%1 MiB resident when full").arg(full - before)));

        // Unwritten values read as zero.
        KvHostStorage fresh(layout);
        std::vector<float> keys;
        fresh.gather(3, KvPart::Value, 2, whole, 4096, keys);
        QCOMPARE(int(keys.size()), 4096 * 64);
        for (float k : keys) QCOMPARE(k, 0.0f);
    }
};

QTEST_GUILESS_MAIN(TestKvHostResidency)
#include "test_kv_host_residency.moc"
