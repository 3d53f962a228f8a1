#pragma once
// What the perturbation experiments must show, worked out from the structure of a transformer
// (not from the code under test): only attention mixes positions.
//
// A token changed at position P: nothing moves before P at any layer or op; everything moves
// at P; after P, layer 0's embedding, norm and Q/K/V projections (which see only their own
// position) do not move, and everything from layer 0's attention output on does.
//
// Layer l's FFN output zeroed at P: nothing before it in the pass moves; in layer l the FFN
// output and the residual move at P only; in layer l + 1 the norm and Q, K, V move at P only
// and the attention output at P and after; from layer l + 2 on, K and V of every later position
// move: later positions' deeper K and V depend on the earlier position's FFN.
#include <QtTest>

#include <string>

#include "model/model.h"
#include "session/perturbation.h"

namespace kvs::test {

inline std::string where(const ActivationChange& c, int pos) {
    return "layer " + std::to_string(c.layer) + " " + to_string(c.point) + " position " + std::to_string(pos) +
           " moved by " + std::to_string(c.max_diff[std::size_t(pos)]);
}

// Checks one change against what must move: `moves(pos)` true = nonzero there, false = exactly 0.
template <typename Moves>
bool check_change(const ActivationChange& c, Moves moves) {
    for (int pos = 0; pos < int(c.max_diff.size()); ++pos) {
        const bool moved = c.max_diff[std::size_t(pos)] != 0.0f;
        if (moved != moves(pos)) {
            qWarning("unexpected: %s", where(c, pos).c_str());
            return false;
        }
    }
    return true;
}

inline bool before_attention_of_layer0(const ActivationChange& c) {
    return c.layer == -1 ? c.point == TapPoint::Embedding
                         : c.layer == 0 && (c.point == TapPoint::AttnNorm || c.point == TapPoint::Query ||
                                            c.point == TapPoint::Key || c.point == TapPoint::Value);
}

inline void verify_token_perturbation(const PerturbationReport& r, int n_layers) {
    QCOMPARE(int(r.changes.size()), 1 + 11 * n_layers + 2);
    const int p = r.position;
    for (const ActivationChange& c : r.changes) {
        QCOMPARE(int(c.max_diff.size()), r.positions);
        const bool local = before_attention_of_layer0(c);
        QVERIFY2(check_change(c, [&](int pos) { return local ? pos == p : pos >= p; }),
                 qPrintable(QString("layer %1 %2").arg(c.layer).arg(to_string(c.point))));
    }
}

// Pass order: the index of a (layer, point) among the report's changes.
inline int pass_index(const PerturbationReport& r, int layer, TapPoint point) {
    for (std::size_t i = 0; i < r.changes.size(); ++i)
        if (r.changes[i].layer == layer && r.changes[i].point == point) return int(i);
    return -1;
}

inline void verify_zeroed_ffn(const PerturbationReport& r, int n_layers) {
    const int l = r.patch.layer, p = r.position;
    QCOMPARE(r.patch.point, TapPoint::FfnOutput);
    QVERIFY(l + 2 < n_layers);
    const int zeroed = pass_index(r, l, TapPoint::FfnOutput);
    for (int i = 0; i < int(r.changes.size()); ++i) {
        const ActivationChange& c = r.changes[std::size_t(i)];
        bool ok = true;
        if (i < zeroed) ok = check_change(c, [](int) { return false; });
        else if (c.layer == l || (c.layer == l + 1 && (c.point == TapPoint::AttnNorm || c.point == TapPoint::Query ||
                                                        c.point == TapPoint::Key || c.point == TapPoint::Value)))
            ok = check_change(c, [&](int pos) { return pos == p; });
        else ok = check_change(c, [&](int pos) { return pos >= p; });
        QVERIFY2(ok, qPrintable(QString("layer %1 %2").arg(c.layer).arg(to_string(c.point))));
    }
    // The claim in words: layer l + 2's K at every later position depends on it.
    const ActivationChange* k = r.find(l + 2, TapPoint::Key);
    QVERIFY(k);
    for (int pos = p + 1; pos < r.positions; ++pos) QVERIFY(k->max_diff[std::size_t(pos)] > 0.0f);
}

}  // namespace kvs::test
