#pragma once
// Errors are values: every fallible engine call returns Result<T>. No exception crosses the
// engine API. Messages are written for the user: they name the file, the position and what
// was expected ("GGUF tensor 'blk.3.attn_k.weight' extends past end of file ...").
#include <cassert>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace kvs {

struct Error {
    std::string message;
};

inline std::string to_text(const std::string& s) { return s; }
inline std::string to_text(std::string_view s) { return std::string(s); }
inline std::string to_text(const char* s) { return s; }
inline std::string to_text(char c) { return std::string(1, c); }
template <typename N>
    requires std::is_arithmetic_v<N>
std::string to_text(N n) {
    return std::to_string(n);
}

// Builds an Error from pieces: err("cannot open '", path, "': ", why).
template <typename... Parts>
Error err(Parts&&... parts) {
    std::string s;
    (s.append(to_text(std::forward<Parts>(parts))), ...);
    return Error{std::move(s)};
}

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error e) : v_(std::move(e)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { assert(ok()); return std::get<0>(v_); }
    const T& value() const& { assert(ok()); return std::get<0>(v_); }
    T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const { assert(!ok()); return std::get<1>(v_); }
    const std::string& message() const { return error().message; }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error e) : e_(std::move(e)), failed_(true) {}

    bool ok() const { return !failed_; }
    explicit operator bool() const { return ok(); }
    const Error& error() const { assert(failed_); return e_; }
    const std::string& message() const { return error().message; }

private:
    Error e_;
    bool failed_ = false;
};

using Status = Result<void>;

}  // namespace kvs

// Propagates an error from a Result-returning expression: KVS_TRY(read_header(f));
#define KVS_TRY(expr)                                          \
    do {                                                       \
        auto kvs_try_result_ = (expr);                         \
        if (!kvs_try_result_.ok()) return kvs_try_result_.error(); \
    } while (0)

// Binds the value of a Result or returns its error: KVS_ASSIGN(auto cfg, parse_config(j));
#define KVS_CONCAT_INNER_(a, b) a##b
#define KVS_CONCAT_(a, b) KVS_CONCAT_INNER_(a, b)
#define KVS_ASSIGN(decl, expr) KVS_ASSIGN_IMPL_(KVS_CONCAT_(kvs_res_, __LINE__), decl, expr)
#define KVS_ASSIGN_IMPL_(tmp, decl, expr) \
    auto tmp = (expr);                    \
    if (!tmp.ok()) return tmp.error();    \
    decl = std::move(tmp).value()
