// Saved debugging sessions: a session with a sampled run, a rewind, forced tokens, a branch of a
// branch and breakpoints is written, read back and run again from scratch: every branch has the
// same tokens, parents, fork steps and forced tokens, the breakpoints are the same; damaged
// files give errors that name the key; a file whose tokens the model does not reproduce is
// refused naming the branch and the position. The command line saves and opens sessions too.
#include <QtTest>

#include <QTemporaryDir>

#include "cli_runner.h"
#include "debugger_checks.h"
#include "session/debug_session_file.h"

using namespace kvs;

class TestDebugSessionFile : public QObject {
    Q_OBJECT
    std::shared_ptr<Model> model_;
    std::unique_ptr<Backend> cpu(int block_size = 4) {
        BackendOptions o;
        o.block_size = block_size;
        auto b = create_backend("cpu", model_, o, nullptr);
        if (!b.ok()) qFatal("%s", b.message().c_str());
        return std::move(b).value();
    }
    SessionOptions sampled() const {
        SessionOptions so;
        so.sampling.temperature = 0.8f;
        so.sampling.top_k = 40;
        so.sampling.seed = 5;
        return so;
    }
    // Sampled run of 30; back to 12 keeping the old steps, force a token, run to 30; from that
    // branch, a branch at step 20 with forced text, run to 25; back to the first branch.
    void build(Debugger& d) {
        QVERIFY(d.start(test::kStoriesPrompt).ok());
        QVERIFY(d.run(30).ok());
        QVERIFY(d.rewind(12).ok());
        QVERIFY(d.force(300).ok());
        QVERIFY(d.run(30).ok());
        QVERIFY(d.branch(1, 20).ok());
        QVERIFY(d.force_text(" dog").ok());
        QVERIFY(d.run(25).ok());
        d.add_breakpoint(*parse_breakpoint("entropy>2.5"));
        const int off = d.add_breakpoint(*parse_breakpoint("attn=1,*,0>0.99"));
        QVERIFY(d.enable_breakpoint(off, false).ok());
        QVERIFY(d.switch_branch(0).ok());
    }

private slots:
    void initTestCase() {
        auto m = load_model(test::stories260k_bin(), {test::stories260k_tokenizer()});
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        model_ = *m;
    }

    void roundTripReproducesTheRun() {
        Debugger a(model_, cpu(), sampled());
        build(a);
        if (QTest::currentTestFailed()) return;
        QCOMPARE(int(a.branches().size()), 3);
        DebugSessionFile base;
        base.model_path = "stories260K.bin";
        base.block_size = 4;
        const DebugSessionFile f = capture_debug_session(a, base);
        const std::string text = debug_session_to_json(f);
        auto back = parse_debug_session(text, "test");
        QVERIFY2(back.ok(), back.ok() ? "" : back.message().c_str());
        QCOMPARE(debug_session_to_json(*back), text);
        QCOMPARE(back->prompt_ids, std::vector<int>(test::kStoriesGreedyIds, test::kStoriesGreedyIds + 5));

        Debugger b(model_, cpu(), sampled());
        const Status s = replay_debug_session(b, *back);
        QVERIFY2(s.ok(), s.ok() ? "" : s.message().c_str());
        QCOMPARE(b.active_branch(), 0);
        const auto ba = a.branches(), bb = b.branches();
        QCOMPARE(bb.size(), ba.size());
        for (std::size_t i = 0; i < ba.size(); ++i) {
            QCOMPARE(bb[i].tokens, ba[i].tokens);
            QCOMPARE(bb[i].parent, ba[i].parent);
            QCOMPARE(bb[i].fork_step, ba[i].fork_step);
            QCOMPARE(bb[i].forced, ba[i].forced);
            QCOMPARE(bb[i].steps, ba[i].steps);
            QCOMPARE(bb[i].blocks, ba[i].blocks);
            QCOMPARE(bb[i].own_blocks, ba[i].own_blocks);
        }
        QCOMPARE(ba[1].forced.at(12), 300);
        QCOMPARE(ba[2].forced.at(12), 300);  // inherited from its parent
        QVERIFY(ba[2].forced.count(20) == 1);
        QCOMPARE(int(b.breakpoints().size()), 2);
        QCOMPARE(QString::fromStdString(breakpoint_spec(b.breakpoints()[1])), QString("attn=1,*,0>0.99"));
        QVERIFY(!b.breakpoints()[1].enabled);
        // The same pool: blocks held by the three branches.
        QCOMPARE(b.session().backend().kv().allocator().used_count(),
                 a.session().backend().kv().allocator().used_count());
    }

    void damagedFilesNameTheKey() {
        Debugger a(model_, cpu(), sampled());
        QVERIFY(a.start(test::kStoriesPrompt).ok());
        QVERIFY(a.run(5).ok());
        const std::string good = debug_session_to_json(capture_debug_session(a, {}));
        const auto broken = [&](const std::string& from, const std::string& to) {
            std::string t = good;
            const auto at = t.find(from);
            if (at == std::string::npos) qFatal("no '%s' in the file", from.c_str());
            return t.replace(at, from.size(), to);
        };
        const std::vector<std::pair<std::string, QString>> cases = {
            {broken("kvscope-debug-session", "other"), "format"},
            {broken("\"version\": 1", "\"version\": 9"), "version 9"},
            {broken("\"prompt_ids\": [", "\"prompt_ids\": [-4,"), "prompt_ids"},
            {broken("\"parent\": -1", "\"parent\": 3"), "parent 3"},
            {broken("\"active\": 0", "\"active\": 8"), "active"},
            {broken("\"top_p\"", "\"top_p\": 0, \"x\""), "top_p"},
            {"{", "test"},
            {"[]", "object"},
        };
        for (const auto& [text, word] : cases) {
            auto f = parse_debug_session(text, "test");
            QVERIFY2(!f.ok(), qPrintable(word));
            QVERIFY2(QString::fromStdString(f.message()).contains(word), f.message().c_str());
        }
        DebugSessionFile f = capture_debug_session(a, {});
        f.breakpoints.push_back({"entropy>>1", true});
        QVERIFY(!parse_debug_session(debug_session_to_json(f), "test").ok());
    }

    void differentTokensAreRefused() {
        Debugger a(model_, cpu(), sampled());
        QVERIFY(a.start(test::kStoriesPrompt).ok());
        QVERIFY(a.run(10).ok());
        DebugSessionFile f = capture_debug_session(a, {});
        f.branches[0].tokens[9] = f.branches[0].tokens[9] == 7 ? 8 : 7;
        Debugger b(model_, cpu(), sampled());
        const Status s = replay_debug_session(b, f);
        QVERIFY(!s.ok());
        QVERIFY2(QString::fromStdString(s.message()).contains("branch 0: position 9"), s.message().c_str());
    }

    // The command line: a script that stops at a breakpoint, goes back, forces and saves; opening
    // the file gives the same branches.
    void commandLineSavesAndOpens() {
        QTemporaryDir dir;
        const QString file = dir.filePath("s.json");
        const QStringList model = {"--model", QString::fromStdString(test::stories260k_bin()), "--tokenizer",
                                   QString::fromStdString(test::stories260k_tokenizer())};
        auto r = test::run_cli(QStringList{"debug"} + model +
                               QStringList{"--prompt", test::kStoriesPrompt, "-n", "30", "--temperature", "0",
                                           "--block-size", "4", "--break", "pos=22",
                                           "--exec", "run; rewind 10; force \" there\"; run; branches", "--save", file});
        QVERIFY2(r.exit_code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("stopped: breakpoint after step 17 on branch 0 (breakpoint 1 (pos=22): position 22)"),
                 qPrintable(r.out));
        QVERIFY2(r.out.contains("next 1 step(s) take the tokens of \" there\""), qPrintable(r.out));
        const int from = int(r.out.indexOf("  branch 0"));
        const QString branches = r.out.mid(from, r.out.indexOf("saved ") - from);
        auto o = test::run_cli({"debug", "--session", file, "--exec", "branches"});
        QVERIFY2(o.exit_code == 0, qPrintable(o.err));
        QVERIFY2(o.out.contains(branches), qPrintable(o.out + "\n---\n" + branches));
        // The greedy text of branch 0 is the known one up to step 17.
        QVERIFY(o.out.contains(", there was a little girl named Lily. She loved to play out"));

        auto bad = test::run_cli(QStringList{"debug"} + model + QStringList{"--exec", "run 3; rewind 9"});
        QCOMPARE(bad.exit_code, 1);
        QVERIFY2(bad.err.contains("command 2 'rewind 9': rewind: step 9 is not one of the steps run so far (0..3)"),
                 qPrintable(bad.err));
        auto unknown = test::run_cli(QStringList{"debug"} + model + QStringList{"--exec", "fly"});
        QCOMPARE(unknown.exit_code, 1);
        QVERIFY(unknown.err.contains("unknown command 'fly'"));
    }
};

QTEST_GUILESS_MAIN(TestDebugSessionFile)
#include "test_debug_session_file.moc"
