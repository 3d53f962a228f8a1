// The token list and step table models over RunData, fed with event batches built here the
// way the engine sends them (RunStarted, then one batch per step).
#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

#include "run_data.h"
#include "step_table_model.h"
#include "token_list_model.h"

using namespace kvs::ui;

namespace {

kvs::Event run_started(int n_prompt) {
    kvs::RunStarted s;
    s.config.n_layers = 2;
    s.config.n_heads = 2;
    s.config.n_kv_heads = 1;
    s.config.dim = 8;
    s.backend = "cpu";
    for (int i = 0; i < n_prompt; ++i) {
        s.prompt_tokens.push_back(100 + i);
        s.prompt_labels.push_back(i == 0 ? "<s>" : " p" + std::to_string(i));
    }
    return s;
}

// One step's batch: StepStarted, KvAppend per layer, StepFinished with a top-3 distribution.
std::vector<kvs::Event> step_batch(int step, int first_pos, int n_positions, int token) {
    std::vector<kvs::Event> batch;
    kvs::StepStarted started;
    started.step = step;
    started.phase = step == 0 ? kvs::Phase::Prefill : kvs::Phase::Decode;
    started.first_pos = first_pos;
    batch.emplace_back(started);
    const std::int64_t per_pos_layer = 2 * 1 * 4 * 4;  // K and V, 1 KV head, head_dim 4, f32
    for (int layer = 0; layer < 2; ++layer) {
        kvs::KvAppend kv;
        kv.step = step;
        kv.layer = layer;
        kv.first_pos = first_pos;
        kv.n_positions = n_positions;
        kv.layer_bytes_used = per_pos_layer * (first_pos + n_positions);
        kv.total_bytes_used = 2 * kv.layer_bytes_used;
        kv.total_bytes_allocated = 2 * per_pos_layer * 64;
        batch.emplace_back(kv);
    }
    kvs::StepFinished f;
    f.step = step;
    f.phase = started.phase;
    f.first_pos = first_pos;
    f.n_positions = n_positions;
    f.sampled_token = token;
    f.sampled_label = step == 3 ? "\n" : " w" + std::to_string(token);
    f.sampled_text = f.sampled_label;
    f.top = {{token, 0.625f, f.sampled_label}, {7, 0.25f, "seven"}, {8, 0.125f, "<&>"}};
    f.wall_ms = 1.5 + step;
    batch.emplace_back(f);
    return batch;
}

}  // namespace

class TestItemModels : public QObject {
    Q_OBJECT
private slots:
    void tokenModelFollowsTheRun() {
        RunData run;
        TokenListModel model(&run);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QCOMPARE(model.rowCount(), 0);

        run.append({run_started(4)});
        QCOMPARE(model.rowCount(), 4);
        run.append(step_batch(0, 0, 4, 50));
        for (int s = 1; s <= 5; ++s) run.append(step_batch(s, 3 + s, 1, 50 + s));
        QCOMPARE(model.rowCount(), 4 + 6);
        QCOMPARE(inserted.count(), 1 + 6);

        // Prompt rows, then the prefill's token (step 0), then one per decode step.
        QCOMPARE(model.index(0).data(TokenListModel::IsPromptRole).toBool(), true);
        QCOMPARE(model.index(0).data(Qt::DisplayRole).toString(), QString("<s>"));
        QCOMPARE(model.index(1).data(Qt::DisplayRole).toString(), QString("\u00b7p1"));  // space made visible
        QCOMPARE(model.index(4).data(TokenListModel::IsPromptRole).toBool(), false);
        QCOMPARE(model.index(4).data(TokenListModel::StepRole).toInt(), 0);
        QCOMPARE(model.index(4).data(TokenListModel::TokenIdRole).toInt(), 50);
        QCOMPARE(model.index(9).data(TokenListModel::StepRole).toInt(), 5);
        QCOMPARE(model.index(9).data(TokenListModel::PositionRole).toInt(), 9);
        QCOMPARE(model.index(7).data(Qt::DisplayRole).toString(), QString("\u21b5"));  // newline made visible
        QCOMPARE(model.index(9).data(TokenListModel::TopProbabilityRole).toDouble(), 0.625);
        QCOMPARE(model.index(2).data(TokenListModel::TopProbabilityRole).toDouble(), -1.0);

        // Tooltip: id, position, step and the top-k with percentages, HTML-escaped.
        const QString tip = model.index(9).data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains("id 55") && tip.contains("position 9") && tip.contains("step 5"), qPrintable(tip));
        QVERIFY2(tip.contains("62.5%") && tip.contains("25.0%") && tip.contains("12.5%"), qPrintable(tip));
        QVERIFY2(tip.contains("&lt;&amp;&gt;"), qPrintable(tip));
        QVERIFY(model.index(1).data(Qt::ToolTipRole).toString().contains("prompt"));

        // Selecting a step marks the tokens it produced (the prefill: the prompt and its token).
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        run.setSelectedStep(3);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(model.index(7).data(TokenListModel::SelectedStepRole).toBool(), true);
        QCOMPARE(model.index(8).data(TokenListModel::SelectedStepRole).toBool(), false);
        run.setSelectedStep(0);
        QCOMPARE(model.index(0).data(TokenListModel::SelectedStepRole).toBool(), true);
        QCOMPARE(model.index(4).data(TokenListModel::SelectedStepRole).toBool(), true);
        QCOMPARE(model.index(5).data(TokenListModel::SelectedStepRole).toBool(), false);

        run.clear();
        QCOMPARE(model.rowCount(), 0);
        run.append({run_started(2)});
        QCOMPARE(model.rowCount(), 2);
    }

    void attentionRowsAccumulate() {
        // Prefill: 3 query rows over 3 keys (causal: zeros above the diagonal); then a decode
        // step adds row 3 over 4 keys. Earlier rows keep their values.
        RunData run;
        run.append({run_started(3)});
        kvs::AttentionEvent prefill;
        prefill.layer = 1;
        prefill.head = 1;
        prefill.n_queries = 3;
        prefill.n_keys = 3;
        prefill.probs = {1.0f, 0.0f, 0.0f, 0.25f, 0.75f, 0.0f, 0.5f, 0.25f, 0.25f};
        run.append({prefill});
        kvs::AttentionEvent decode = prefill;
        decode.step = 1;
        decode.first_query = 3;
        decode.n_queries = 1;
        decode.n_keys = 4;
        decode.probs = {0.125f, 0.125f, 0.25f, 0.5f};
        run.append({decode});
        const AttentionMatrix* m = run.attention(1, 1);
        QVERIFY(m);
        QVERIFY(!run.attention(0, 0));
        QCOMPARE(m->size, 4);
        QCOMPARE(m->at(1, 1), 0.75f);
        QCOMPARE(m->at(2, 0), 0.5f);
        QCOMPARE(m->at(0, 3), 0.0f);  // past the causal limit
        QCOMPARE(m->at(3, 3), 0.5f);
        QCOMPARE(m->at(3, 2), 0.25f);
        float row_sum = 0.0f;
        for (int k = 0; k < 4; ++k) row_sum += m->at(3, k);
        QCOMPARE(row_sum, 1.0f);
    }

    void stepTableShowsEachStep() {
        RunData run;
        StepTableModel model(&run);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        run.append({run_started(3)});
        QCOMPARE(model.rowCount(), 0);
        run.append(step_batch(0, 0, 3, 40));
        run.append(step_batch(1, 3, 1, 41));
        run.append(step_batch(2, 4, 1, 42));
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.columnCount(), int(StepTableModel::ColumnCount));
        QCOMPARE(model.index(0, StepTableModel::PhaseColumn).data().toString(), QString("prefill"));
        QCOMPARE(model.index(2, StepTableModel::PhaseColumn).data().toString(), QString("decode"));
        QCOMPARE(model.index(0, StepTableModel::PositionsColumn).data(Qt::EditRole).toInt(), 3);
        QCOMPARE(model.index(2, StepTableModel::PositionsColumn).data().toString(), QString("1 (from 4)"));
        QCOMPARE(model.index(1, StepTableModel::ProbabilityColumn).data(Qt::EditRole).toDouble(), 0.625);
        QCOMPARE(model.index(2, StepTableModel::WallColumn).data(Qt::EditRole).toDouble(), 3.5);
        // 2 layers x (K+V) x 1 KV head x head_dim 4 x 4 bytes = 64 bytes per position; 5 positions.
        QCOMPARE(model.index(2, StepTableModel::CacheColumn).data(Qt::EditRole).toLongLong(), 5 * 64LL);
        QCOMPARE(model.index(2, StepTableModel::CacheColumn).data().toString(), QString("320 B"));
        run.clear();
        QCOMPARE(model.rowCount(), 0);
    }
};

QTEST_MAIN(TestItemModels)
#include "test_item_models.moc"
