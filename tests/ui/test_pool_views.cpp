// The block pool in the GUI: the pool rebuilt from the events matches the engine's own tables
// and reference counts after a real run of three prompts sharing a prefix; the block grid, the
// block table, the pool memory chart and the sequence selection show it; the allocation
// simulator view runs the engine's simulator.
#include <QChart>
#include <QComboBox>
#include <QLabel>
#include <QLineSeries>
#include <QSignalSpy>
#include <QTableWidget>
#include <QtTest>

#include "core/backend.h"
#include "model/model.h"
#include "run_data.h"
#include "sequence_selector.h"
#include "session/generation_session.h"
#include "test_paths.h"
#include "views/block_grid.h"
#include "views/block_pool_view.h"
#include "views/kv_memory_view.h"
#include "views/kv_sim_view.h"
#include "views/pool_memory_view.h"

using namespace kvs;
using namespace kvs::ui;

namespace {

// Collects a run's events and keeps the backend alive to compare with.
struct Run : EventObserver {
    std::vector<Event> events;
    void on_event(const Event& e) override { events.push_back(e); }
};

const std::vector<std::string> kPrompts = {
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.",
    "Once upon a time, there was a little girl named Lily. She loved to play with her toys.",
    "The little dog ran to the big tree."};

}  // namespace

class TestPoolViews : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> model_;
    std::unique_ptr<GenerationSession> session_;
    Run run_;

private slots:
    void initTestCase() {
        auto m = load_model(test::stories260k_bin(), {test::stories260k_tokenizer()});
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        model_ = *m;
        BackendOptions o;
        o.block_size = 8;
        o.prefix_cache = true;
        o.max_sequences = 3;
        auto b = create_backend("cpu", model_, o, nullptr);
        QVERIFY(b.ok());
        SessionOptions so;
        so.sampling.temperature = 0.0f;
        session_ = std::make_unique<GenerationSession>(model_, std::move(b).value(), so, &run_);
        QVERIFY(session_->start_many(kPrompts).ok());
        QVERIFY(session_->run(30).ok());
    }

    // Every sequence's table, every block's reference count and the allocator's figures, as
    // rebuilt from the events alone, are the engine's.
    void trackerMatchesTheEngine() {
        RunData data;
        data.append(run_.events);
        const PoolTracker& pool = data.pool();
        const KvPool& kv = session_->backend().kv();
        QCOMPARE(int(pool.blocks().size()), kv.layout().n_blocks);
        QCOMPARE(pool.blockSize(), 8);
        for (int s = 0; s < 3; ++s) {
            const auto blocks = kv.table(s).blocks();
            QCOMPARE(pool.table(s), std::vector<int>(blocks.begin(), blocks.end()));
            QCOMPARE(pool.tokens(s), kv.length(s));
        }
        int used = 0;
        for (int b = 0; b < kv.layout().n_blocks; ++b) {
            QCOMPARE(pool.blocks()[std::size_t(b)].refcount, kv.allocator().refcount(b));
            used += pool.blocks()[std::size_t(b)].state == PoolTracker::State::Used;
        }
        QCOMPARE(used, kv.allocator().used_count());
        // The second prompt shares the first's leading full blocks.
        QVERIFY(pool.table(1).size() >= 2);
        QCOMPARE(pool.table(1)[0], pool.table(0)[0]);
        QCOMPARE(pool.table(1)[1], pool.table(0)[1]);
        QCOMPARE(pool.blocks()[std::size_t(pool.table(0)[0])].refcount, 2);
        QCOMPARE(pool.usage().bytes_held, std::int64_t(kv.allocator().used_count()) * kv.layout().block_bytes());
        // Held = formula + unfilled tails - what sharing saves, at every pass.
        for (const auto& m : pool.history()) QCOMPARE(m.bytes_held, m.formula_bytes + m.tail_bytes - m.shared_bytes);
    }

    void gridDescribesBlocks() {
        RunData data;
        data.append(run_.events);
        BlockPoolView view(&data);
        view.resize(900, 600);
        view.show();
        view.refreshNow();
        BlockGrid* grid = view.grid();
        const int shared = data.pool().table(0)[0];
        const QString d = grid->blockDescription(shared);
        QVERIFY2(d.contains("sequence 0, logical block 0: positions 0-7 (8 of 8 filled)"), qPrintable(d));
        QVERIFY2(d.contains("sequence 1, logical block 0"), qPrintable(d));
        QVERIFY2(d.contains("2 sequences refer to it"), qPrintable(d));
        const int last = data.pool().table(2).back();
        const int tokens = data.pool().tokens(2);
        const int first = (int(data.pool().table(2).size()) - 1) * 8;
        QVERIFY2(grid->blockDescription(last).contains(
                     QString("positions %1-%2 (%3 of 8 filled)").arg(first).arg(first + 7).arg(tokens - first)),
                 qPrintable(grid->blockDescription(last)));
        // Geometry: a cell maps back to its block.
        QCOMPARE(grid->blockAt(grid->cellRect(shared).center()), shared);
        QCOMPARE(grid->blockAt(grid->cellRect(last).center()), last);
        // The block table lists sequence 0's blocks with their positions.
        QTableWidget* t = view.table();
        QCOMPARE(t->rowCount(), int(data.pool().table(0).size()));
        QCOMPARE(t->item(0, 1)->text(), QString::number(shared));
        QCOMPARE(t->item(0, 2)->text(), QString("0-7"));
        QCOMPARE(t->item(0, 3)->text(), QString("2 sequences"));
        QVERIFY(view.summary()->text().contains("saved by sharing"));
        // Clicking a block selects its sequence.
        QTest::mouseClick(grid, Qt::LeftButton, {}, grid->cellRect(last).center());
        QCOMPARE(data.selectedSequence(), 2);
        view.refreshNow();
        QCOMPARE(view.table()->rowCount(), int(data.pool().table(2).size()));
    }

    // A refresh writes the table rows that changed, not the whole table.
    void tableUpdatesOnlyChangedRows() {
        RunData data;
        BlockPoolView view(&data);
        const std::size_t half = run_.events.size() / 2;
        data.append(std::vector<Event>(run_.events.begin(), run_.events.begin() + std::ptrdiff_t(half)));
        view.refreshNow();
        const qint64 before = view.cellsWritten();
        view.refreshNow();
        QCOMPARE(view.cellsWritten(), before);  // nothing changed, nothing written
        // One more decode step of the whole batch: at most the last row or a new one changes.
        auto next = std::find_if(run_.events.begin() + std::ptrdiff_t(half), run_.events.end(),
                                 [](const Event& e) { return std::holds_alternative<PoolState>(e); });
        QVERIFY(next != run_.events.end());
        data.append(std::vector<Event>(run_.events.begin() + std::ptrdiff_t(half), next + 1));
        view.refreshNow();
        QVERIFY2(view.cellsWritten() - before <= 2 * 4, qPrintable(QString::number(view.cellsWritten() - before)));
    }

    // Every per-sequence view follows the selected sequence; the pool stays whole.
    void selectionSwitchesSequences() {
        RunData data;
        data.append(run_.events);
        SequenceSelector selector(&data);
        QCOMPARE(selector.comboBox()->count(), 3);
        QVERIFY2(selector.comboBox()->itemText(1).startsWith("1: Once upon a time"), qPrintable(selector.comboBox()->itemText(1)));
        QCOMPARE(data.selectedSequence(), 0);
        auto text_of = [&] {
            std::vector<int> ids;
            for (const auto& t : data.tokens()) ids.push_back(t.id);
            return ids;
        };
        QCOMPARE(text_of(), session_->tokens(0));
        QSignalSpy spy(&data, &RunData::sequenceChanged);
        selector.comboBox()->setCurrentIndex(2);
        QCOMPARE(spy.count(), 1);
        QCOMPARE(data.selectedSequence(), 2);
        QCOMPARE(text_of(), session_->tokens(2));
        QCOMPARE(int(data.steps().size()), 30);
        QCOMPARE(data.kvPoints().back().positions, session_->backend().kv().length(2));
        QCOMPARE(int(data.pool().table(0).size()), int(session_->backend().kv().table(0).logical_blocks()));
        // The KV memory chart of the selected sequence climbs in its own blocks of 8.
        KvMemoryView kv(&data);
        kv.resize(800, 500);
        kv.refreshNow();
        QCOMPARE(kv.totalSeries()->points().back().y() * kv.byteUnit().scale,
                 double(session_->backend().kv().table(2).logical_blocks()) * 8 * 1280);
    }

    void poolMemoryHasAPointPerPass() {
        RunData data;
        data.append(run_.events);
        PoolMemoryView view(&data);
        view.resize(800, 500);
        view.show();
        view.refreshNow();
        // 3 prefill passes (one per prompt: the prefix cache is on) and 29 decode steps.
        QCOMPARE(int(data.pool().history().size()), 3 + 29);
        const auto& last = data.pool().history().back();
        const double scale = view.byteUnit().scale;
        QCOMPARE(view.heldSeries()->points().back().y() * scale, double(last.bytes_held));
        QCOMPARE(view.formulaSeries()->points().back().y() * scale, double(last.formula_bytes));
        QCOMPARE(view.wasteSeries()->points().back().y() * scale, double(last.tail_bytes));
        QVERIFY(view.sequenceSeries(2) != nullptr);
        const qint64 written = view.pointsWritten();
        view.refreshNow();
        QCOMPARE(view.pointsWritten(), written);  // a refresh without new passes writes nothing
    }

    void simulatorViewRunsTheSimulator() {
        KvSimView view;
        view.setRequests(200);
        view.setMemoryGiB(4.0);
        QSignalSpy done(&view, &KvSimView::finished);
        view.runSimulation();
        QVERIFY(done.wait(30000));
        QCOMPARE(view.results().size(), std::size_t(3 + 4 + 1));
        QCOMPARE(view.table()->rowCount(), 8);
        QCOMPARE(view.table()->item(0, 0)->text(), QString("max-length contiguous"));
        for (const auto& r : view.results())
            QVERIFY(std::abs(r.token_states + r.reserved + r.internal + r.external - 1.0) < 1e-9);
        QVERIFY(!view.chart()->series().isEmpty());
        QVERIFY(view.status()->text().contains("opt-13b"));
    }
};

QTEST_MAIN(TestPoolViews)
#include "test_pool_views.moc"
