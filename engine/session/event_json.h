#pragma once
// Events as JSON Lines: one object per line, {"type":"step_finished","schema":1,...}, carrying
// every field of the event structs (docs/EVENTS.md). Reading a line back gives the same event.
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/events.h"
#include "core/result.h"

namespace kvs {

// Keys in a fixed order: "type", "schema", then the fields as the struct declares them.
nlohmann::ordered_json event_to_json(const Event& event);
// No trailing newline. Bytes that are not valid UTF-8 (a token ending inside a character) are
// written as U+FFFD.
std::string event_to_json_line(const Event& event);

// The inverse of event_to_json. Checks "type" and "schema"; errors name the missing or
// mistyped key.
Result<Event> event_from_json(const nlohmann::json& j);
Result<Event> parse_event_line(std::string_view line);

// Floats are written with the fewest digits that read back to the same float (0.1f is written
// 0.1, not 0.10000000149011612), which keeps attention traces small.
double shortest_float(float f);

// An observer that appends each event as one line to a file.
class JsonLinesWriter : public EventObserver {
public:
    static Result<std::unique_ptr<JsonLinesWriter>> open(const std::string& path);

    void on_event(const Event& event) override;
    // Flushes and reports the first write error, if any.
    Status close();
    std::int64_t lines_written() const { return lines_; }

private:
    explicit JsonLinesWriter(std::string path) : path_(std::move(path)) {}
    std::string path_;
    std::ofstream out_;
    std::int64_t lines_ = 0;
    bool failed_ = false;
};

}  // namespace kvs
