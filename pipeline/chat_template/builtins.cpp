// Global functions (see builtins.hpp). raise_exception() throws TemplateRaised with the template's
// own message, which callers report per conversation; strftime_now() formats the local time
// like Python's datetime.now().strftime. range() is capped like jinja2's sandbox (MAX_RANGE).
#include "builtins.hpp"

#include <ctime>
#include <functional>
#include <map>

#include "evaluator.hpp"
#include "skytrain/common/error.hpp"
#include "skytrain/pipeline/chat_template.hpp"

namespace skytrain::pipeline::jinja {

namespace {

using Fn = std::function<Value(Evaluator&, CallArgs&)>;

class Builtin : public Callable {
 public:
  Builtin(std::string name, Fn fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  Value call(Evaluator& in, CallArgs& args) const override { return fn_(in, args); }
  std::string describe() const override { return "function " + name_; }

 private:
  std::string name_;
  Fn fn_;
};

// joiner(sep): returns "" on its first call and sep afterwards (state lives in the value).
class Joiner : public Callable {
 public:
  explicit Joiner(std::string sep) : sep_(std::move(sep)) {}
  Value call(Evaluator&, CallArgs&) const override {
    if (!used_) {
      used_ = true;
      return Value("");
    }
    return Value(sep_);
  }
  std::string describe() const override { return "Joiner"; }

 private:
  std::string sep_;
  mutable bool used_ = false;
};

int64_t int_arg(const Value& v, const char* what) {
  if (v.is_int()) return v.as_int();
  if (v.is_bool()) return v.as_bool();
  throw Error(std::string(what) + "() integer argument expected, got " + v.type_name());
}

Value range_fn(Evaluator&, CallArgs& args) {
  if (!args.kw.empty()) throw Error("range() takes no keyword arguments");
  int64_t start = 0, stop = 0, step = 1;
  if (args.pos.size() == 1) {
    stop = int_arg(args.pos[0], "range");
  } else if (args.pos.size() == 2 || args.pos.size() == 3) {
    start = int_arg(args.pos[0], "range");
    stop = int_arg(args.pos[1], "range");
    if (args.pos.size() == 3) step = int_arg(args.pos[2], "range");
  } else {
    throw Error("range expected 1 to 3 arguments, got " + std::to_string(args.pos.size()));
  }
  if (step == 0) throw Error("range() arg 3 must not be zero");
  std::vector<Value> out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop;) {
    if (out.size() >= 100000)
      throw Error("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
    out.emplace_back(i);
    // Python's ints do not overflow: a step past INT64_MAX simply leaves the range.
    if (__builtin_add_overflow(i, step, &i)) break;
  }
  return Value::list(std::move(out));
}

std::shared_ptr<DictData> dict_from_args(const CallArgs& args, const char* what) {
  auto d = std::make_shared<DictData>();
  if (args.pos.size() > 1) throw Error(std::string(what) + " expected at most 1 argument");
  if (!args.pos.empty()) {
    const Value& init = args.pos[0];
    if (init.is_dict()) {
      d->items = init.dict().items;
      d->depth = init.dict().depth;
    } else if (init.is_namespace()) {
      d->items = init.ns().items;
      d->depth = init.ns().depth;
    } else if (init.is_list()) {
      for (const Value& pair : init.items()) {
        if (!pair.is_list() || pair.items().size() != 2 || !pair.items()[0].is_string())
          throw Error(std::string(what) + ": sequence elements must be (str, value) pairs");
        d->set(pair.items()[0].str(), pair.items()[1]);
      }
    } else {
      throw Error(std::string(what) + ": cannot convert " + init.type_name() + " to a mapping");
    }
  }
  for (auto& [k, v] : args.kw) d->set(k, v);
  return d;
}

std::map<std::string, Value, std::less<>> make_globals() {
  std::map<std::string, Value, std::less<>> g;
  auto add = [&](const std::string& name, Fn fn) {
    g.emplace(name, Value(std::shared_ptr<const Callable>(std::make_shared<Builtin>(name, std::move(fn)))));
  };
  add("range", range_fn);
  add("dict", [](Evaluator&, CallArgs& args) { return Value(std::shared_ptr<const DictData>(dict_from_args(args, "dict"))); });
  add("namespace", [](Evaluator& in, CallArgs& args) {
    auto data = dict_from_args(args, "namespace");
    in.own_namespace(data);
    return Value(NamespaceRef{std::move(data)});
  });
  add("raise_exception", [](Evaluator&, CallArgs& args) -> Value {
    // transformers defines raise_exception(message): a call without one is a TypeError there.
    auto a = bind_args(args, {"message"}, "raise_exception", 1);
    std::string msg = to_str(*a[0]);
    // An empty message would reach the user as an error that says nothing (found by fuzzing).
    if (msg.empty()) msg = "the chat template called raise_exception() with an empty message";
    throw TemplateRaised(msg);
  });
  add("strftime_now", [](Evaluator&, CallArgs& args) {
    auto a = bind_args(args, {"format"}, "strftime_now", 1);
    if (!a[0]->is_string()) throw Error("strftime_now() argument must be str");
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char buf[512];
    size_t n = std::strftime(buf, sizeof buf, a[0]->str().c_str(), &tm);
    return Value(std::string(buf, n));
  });
  add("joiner", [](Evaluator&, CallArgs& args) {
    auto a = bind_args(args, {"sep"}, "joiner");
    return Value(std::shared_ptr<const Callable>(std::make_shared<Joiner>(a[0] ? to_str(*a[0]) : ", ")));
  });
  return g;
}

}  // namespace

const Value* find_global(std::string_view name) {
  static const auto globals = make_globals();
  auto it = globals.find(name);
  return it == globals.end() ? nullptr : &it->second;
}

}  // namespace skytrain::pipeline::jinja
