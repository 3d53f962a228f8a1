#pragma once
// Events as CSV tables, one file per event type, for spreadsheets and pandas (docs/EVENTS.md):
//   steps.csv      one row per StepFinished
//   kv.csv         one row per KvAppend
//   attention.csv  long format, one row per attention probability:
//                  step,layer,head,query_pos,key_pos,prob (causal entries only)
//   op_costs.csv   one row per OpCostEvent
//   blocks.csv     one row per BlockEvent
//   pool.csv       one row per PoolState (the whole pool)
//   memory.csv     one row per sequence of each PoolState
//   prefix_hits.csv one row per PrefixHit
// RunStarted, StepStarted and RunFinished have no table; the JSON Lines trace holds them.
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/events.h"
#include "core/result.h"

namespace kvs {

class CsvEventWriter : public EventObserver {
public:
    // Creates `directory` if needed and the eight files with their header rows.
    static Result<std::unique_ptr<CsvEventWriter>> open(const std::string& directory);

    void on_event(const Event& event) override;
    // Flushes and reports the first write error, if any.
    Status close();

private:
    explicit CsvEventWriter(std::string directory) : dir_(std::move(directory)) {}
    void write_row(std::ofstream& out, const std::vector<std::string>& fields);

    std::string dir_;
    std::ofstream steps_, kv_, attention_, op_costs_, blocks_, pool_, memory_, prefix_;
    bool failed_ = false;
};

// RFC 4180 quoting: a field with a comma, quote, CR or LF (or leading/trailing space) is quoted.
std::string csv_field(std::string_view s);
// Parses CSV text (quoted fields, "" escapes, CRLF or LF) into rows of fields.
std::vector<std::vector<std::string>> parse_csv(std::string_view text);

}  // namespace kvs
