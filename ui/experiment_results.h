#pragma once
// The results of the debugger's experiments as they cross from the engine thread to the GUI:
// plain values, with the token labels the views show.
#include <QMetaType>
#include <QStringList>

#include "session/logit_lens.h"
#include "session/perturbation.h"

namespace kvs::ui {

// "Why only K and V": the report, the labels of the tokens run, and the labels of the original and
// replacement token (when a token was changed).
struct PerturbationResult {
    kvs::PerturbationReport report;
    QStringList labels;  // per position, of the original tokens
    QString original, replacement;
};

// The logit lens of one step of the active branch, with the labels of every token it lists.
struct LogitLensResult {
    int step = -1;
    kvs::LogitLens lens;
    QString final_label;
    std::vector<QStringList> top_labels;  // per lens layer, per top token
};

}  // namespace kvs::ui

Q_DECLARE_METATYPE(kvs::ui::PerturbationResult)
Q_DECLARE_METATYPE(kvs::ui::LogitLensResult)
