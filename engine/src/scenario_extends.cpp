// `extends`: laying a child scenario over its parent.
//
// Tables merge key by key, recursively, except where that would mix two forms of one thing:
// inside an entry ([parameters.x], [levers.x], a mix's lever, ...) a key that chooses a form —
// `value` or `distribution`, `schedule` or a constant's `value` or a mix's `scale`, an
// indicator's `kind`, `source` or `assumption` — replaces the parent's whole form, so a child
// can turn a fixed value into a distribution, or a source into an assumption, by writing only
// the new one. `replace = true` in a child's entry replaces the parent's entry whole, and a
// top-level `remove = ["policy_mixes.x", ...]` drops inherited entries. Every error names both
// files.
#include "scenario_detail.hpp"

#include <algorithm>
#include <array>
#include <unordered_map>

namespace canopy::engine::detail {

namespace {

// Keys of one form: when the child's entry has a chooser, the parent's keys of the group go.
struct Form {
    std::vector<std::string_view> choosers;
    std::vector<std::string_view> group;
};

const Form PROVENANCE{{"source", "assumption"}, {"source", "assumption"}};
const Form VALUE{{"value", "distribution"},
                 {"value", "distribution", "low", "high", "mean", "sd", "median", "sigma", "alpha",
                  "beta", "shape", "scale", "mode"}};
const Form SCHEDULE{
    {"schedule", "value", "scale"},
    {"schedule", "value", "initial", "steps", "from", "to", "points", "values", "spread", "scale"}};
const Form INDICATOR{{"kind"},
                     {"kind", "series", "at", "from", "to", "numerator", "denominator", "of"}};

// The sections whose entries are whole things a child may replace or remove.
constexpr std::array<std::string_view, 6> SECTIONS = {"baseline",   "parameters", "levers",
                                                      "indicators", "targets",    "policy_mixes"};
// Entries that may be removed (baseline figures are required).
constexpr std::array<std::string_view, 5> REMOVABLE = {"parameters", "levers", "indicators",
                                                       "targets", "policy_mixes"};

bool is_section(std::string_view key) {
    return std::find(SECTIONS.begin(), SECTIONS.end(), key) != SECTIONS.end();
}

// The forms of an entry of `section` (for a policy mix's sub-entries: "mix_levers",
// "mix_parameters").
std::vector<const Form*> forms_of(std::string_view section) {
    if (section == "baseline" || section == "parameters" || section == "mix_parameters") {
        return {&VALUE, &PROVENANCE};
    }
    if (section == "levers" || section == "mix_levers") {
        return {&SCHEDULE, &PROVENANCE};
    }
    if (section == "indicators") {
        return {&INDICATOR};
    }
    return {&PROVENANCE};
}

bool contains(const std::vector<std::string_view>& keys, std::string_view key) {
    return std::find(keys.begin(), keys.end(), key) != keys.end();
}

class Merger {
public:
    Merger(const SourceFiles& files, std::string parent_name, Diagnostics& out)
        : files_(files)
        , parent_name_(std::move(parent_name))
        , out_(out) {}

    // Removes what the child's `remove` names from the parent, then lays the child over it.
    void merge(TomlNode& parent, TomlNode&& child) {
        apply_removals(parent, child);
        check_currency(parent, child);
        check_kind_targets(parent, child);
        for (TomlNode& value : child.entries) {
            TomlNode* existing = find(parent, value.key);
            if (existing == nullptr) {
                if (is_section(value.key) && value.is_table()) {
                    strip_replace_in_section(value.key, value);
                }
                parent.entries.push_back(std::move(value));
            } else if (is_section(value.key) && existing->is_table() && value.is_table()) {
                merge_section(value.key, *existing, std::move(value));
            } else if (existing->is_table() && value.is_table()) {
                merge_tables(*existing, std::move(value), {});
            } else {
                *existing = std::move(value);
            }
        }
    }

private:
    // The table `key` of `root`, or null when there is none or it is not a table.
    static const TomlNode* subtable(const TomlNode& root, std::string_view key) {
        const TomlNode* t = root.find(key);
        return t != nullptr && t->is_table() ? t : nullptr;
    }

    static TomlNode* find(TomlNode& table, std::string_view key) {
        for (TomlNode& entry : table.entries) {
            if (entry.key == key) {
                return &entry;
            }
        }
        return nullptr;
    }

    std::string name(int file) const {
        const auto i = static_cast<std::size_t>(file);
        return file >= 0 && i < files_.names.size() ? files_.names[i] : std::string("<input>");
    }

    void error(const SourcePos& at, std::string key, std::string message, std::string allowed = {},
               std::string hint = {}) {
        out_.add(make_error(name(at.file), at.line > 0 ? at.line : 1,
                            at.line > 0 && at.column > 0 ? at.column : 1, std::move(key),
                            std::move(message), std::move(allowed), std::move(hint)));
    }

    // A child that changes [budget] currency would keep every figure the parent wrote in the
    // old one: its conversions (currency per unit), its caps, and the cost rates of levers
    // without a cost_unit. An outside tester's child of the Wuhan scenario counting in 万元
    // reported costs 10,000 times too small, exit 0: Wuhan's "m yuan" = 0.01 (亿元 per m yuan)
    // was read as 万元 per m yuan. Each such figure must be written again in the child.
    void check_currency(TomlNode& parent, const TomlNode& child) {
        const TomlNode* old_budget = subtable(parent, "budget");
        const TomlNode* new_budget = subtable(child, "budget");
        if (old_budget == nullptr || new_budget == nullptr) {
            return;
        }
        const TomlNode* old_currency = old_budget->find("currency");
        const TomlNode* new_currency = new_budget->find("currency");
        if (old_currency == nullptr || new_currency == nullptr ||
            old_currency->type != TomlNode::Type::string ||
            new_currency->type != TomlNode::Type::string ||
            old_currency->string == new_currency->string) {
            return;
        }
        std::vector<std::string> stale;
        const TomlNode* new_conversions = subtable(*new_budget, "conversions");
        if (TomlNode* old_conversions = find(*find(parent, "budget"), "conversions");
            old_conversions != nullptr && old_conversions->is_table()) {
            // The parent's conversion of the new currency itself goes: the currency needs none,
            // and a child cannot write it again (a reviewer's 亿元 -> "m yuan" could not be made).
            strip_key(*old_conversions, new_currency->string);
            for (const TomlNode& c : old_conversions->entries) {
                if (new_conversions == nullptr || new_conversions->find(c.key) == nullptr) {
                    stale.push_back("conversions.\"" + c.key + "\"");
                }
            }
        }
        for (const char* cap : {"cap_per_year", "cap_total"}) {
            if (old_budget->find(cap) != nullptr && new_budget->find(cap) == nullptr) {
                stale.push_back(cap);
            }
        }
        const TomlNode* new_levers = subtable(child, "levers");
        if (TomlNode* old_levers = find(parent, "levers");
            old_levers != nullptr && old_levers->is_table()) {
            for (TomlNode& lever : old_levers->entries) {
                if (!lever.is_table()) {
                    continue;
                }
                // A cost_unit naming the old currency on a lever priced at its level only
                // (Wuhan's reward, in 10k yuan) priced nothing there; in another currency the
                // loader would refuse it at the parent's line. It goes with the old currency.
                if (const TomlNode* unit = lever.find("cost_unit");
                    unit != nullptr && unit->type == TomlNode::Type::string &&
                    unit->string == old_currency->string) {
                    const auto number = [&](const char* key) {
                        const TomlNode* r = lever.find(key);
                        return r != nullptr && r->is_number();
                    };
                    if (!number("cost_per_unit_year") && !number("cost_per_unit_added") &&
                        !number("cost_per_outcome")) {
                        strip_key(lever, "cost_unit");
                    }
                }
                if (lever.find("cost_unit") != nullptr) {
                    continue;
                }
                const TomlNode* mine =
                    new_levers != nullptr ? new_levers->find(lever.key) : nullptr;
                const TomlNode* replace =
                    mine != nullptr && mine->is_table() ? mine->find("replace") : nullptr;
                if ((mine != nullptr && mine->is_table() && mine->find("cost_unit") != nullptr) ||
                    (replace != nullptr && replace->type == TomlNode::Type::boolean &&
                     replace->boolean)) {
                    continue; // its own unit, or the parent's entry dropped whole
                }
                // A rate in the currency is a number; cost_per_outcome = "level" prices the
                // lever's own unit, which the conversions cover.
                for (const char* rate :
                     {"cost_per_unit_year", "cost_per_unit_added", "cost_per_outcome"}) {
                    const TomlNode* r = lever.find(rate);
                    if (r != nullptr && r->is_number() &&
                        (mine == nullptr || !mine->is_table() || mine->find(rate) == nullptr)) {
                        stale.push_back("levers." + lever.key + "." + rate);
                    }
                }
            }
        }
        if (stale.empty()) {
            return;
        }
        std::string list;
        for (const std::string& k : stale) {
            list += (list.empty() ? "" : ", ") + k;
        }
        error(new_currency->pos, "budget.currency",
              "'" + new_currency->string + "' replaces the currency '" + old_currency->string +
                  "' of " + name(old_currency->pos.file) + ":" +
                  std::to_string(old_currency->pos.line) + ", whose figures would be read in '" +
                  new_currency->string + "' unchanged: " + list,
              "each of them written again in this file in '" + new_currency->string +
                  "' (a conversion as '" + new_currency->string +
                  "' per unit; a lever's rates may instead keep theirs with cost_unit = \"" +
                  old_currency->string + "\" and a conversion for it)");
    }

    // An indicator whose kind the child changes no longer reads what the parent's targets on
    // it were written for: a reviewer's growth made a stock kept the target ">= 10" cited as
    // "增幅不低于10%", now comparing a loan balance in 100m yuan with 10. Each such target must
    // be written again (its threshold, with its source) or removed.
    void check_kind_targets(const TomlNode& parent, const TomlNode& child) {
        const TomlNode* old_indicators = subtable(parent, "indicators");
        const TomlNode* new_indicators = subtable(child, "indicators");
        const TomlNode* old_targets = subtable(parent, "targets");
        if (old_indicators == nullptr || new_indicators == nullptr || old_targets == nullptr) {
            return;
        }
        const TomlNode* new_targets = subtable(child, "targets");
        for (const TomlNode& entry : new_indicators->entries) {
            const TomlNode* before = old_indicators->find(entry.key);
            const TomlNode* kind = entry.is_table() ? entry.find("kind") : nullptr;
            const TomlNode* old_kind =
                before != nullptr && before->is_table() ? before->find("kind") : nullptr;
            if (kind == nullptr || old_kind == nullptr || kind->type != TomlNode::Type::string ||
                old_kind->type != TomlNode::Type::string || kind->string == old_kind->string) {
                continue;
            }
            for (const TomlNode& target : old_targets->entries) {
                if (!target.is_table()) {
                    continue;
                }
                const TomlNode* reads = target.find("indicator");
                const std::string indicator =
                    reads != nullptr && reads->type == TomlNode::Type::string ? reads->string
                                                                              : target.key;
                const TomlNode* mine =
                    new_targets != nullptr ? new_targets->find(target.key) : nullptr;
                if (indicator != entry.key ||
                    (mine != nullptr && mine->is_table() && mine->find("threshold") != nullptr)) {
                    continue;
                }
                error(kind->pos, "indicators." + entry.key + ".kind",
                      "'" + kind->string + "' replaces the kind '" + old_kind->string + "' of " +
                          name(old_kind->pos.file) + ":" + std::to_string(old_kind->pos.line) +
                          ", but targets." + target.key + " of " + name(target.pos.file) + ":" +
                          std::to_string(target.pos.line) +
                          " keeps the threshold written for the " + old_kind->string,
                      "targets." + target.key +
                          "'s threshold and its source written again in "
                          "this file, or \"targets." +
                          target.key + "\" in `remove`");
            }
        }
    }

    // The child's `remove = ["section.name", ...]`, taken out of the child and applied.
    void apply_removals(TomlNode& parent, TomlNode& child) {
        const auto it = std::find_if(child.entries.begin(), child.entries.end(),
                                     [](const TomlNode& e) { return e.key == "remove"; });
        if (it == child.entries.end()) {
            return;
        }
        const TomlNode remove = std::move(*it);
        child.entries.erase(it);
        const std::string allowed =
            "an array of \"<section>.<name>\" strings; sections: parameters, levers, indicators, "
            "targets, policy_mixes; or scenario.posterior, scenario.posterior_parameters";
        if (remove.type != TomlNode::Type::array) {
            error(remove.pos, "remove",
                  std::string("expected an array of entry names, found ") + describe(remove.type),
                  allowed);
            return;
        }
        std::unordered_map<std::string, std::size_t> listed; // name -> its first position
        const TomlNode* removed_posterior = nullptr;         // the entry removing it, if any
        std::vector<std::pair<std::string, const TomlNode*>> removed_indicators; // id, entry
        for (std::size_t k = 0; k < remove.items.size(); ++k) {
            const TomlNode& item = remove.items[k];
            const std::string key = "remove[" + std::to_string(k) + "]";
            if (item.type != TomlNode::Type::string) {
                error(item.pos, key, std::string("expected a string, found ") + describe(item.type),
                      allowed);
                continue;
            }
            // A name listed again is a slip in the list, not an entry the parent lacks (the
            // first removal took it).
            if (const auto [first, added] = listed.emplace(item.string, k); !added) {
                error(item.pos, key,
                      "'" + item.string + "' is listed twice in 'remove' (first as remove[" +
                          std::to_string(first->second) + "])",
                      "each entry once");
                continue;
            }
            const std::size_t dot = item.string.find('.');
            const std::string section = item.string.substr(0, dot);
            const std::string entry = dot == std::string::npos ? "" : item.string.substr(dot + 1);
            // A scenario key that only makes sense in the parent: a history run that extends a
            // calibrated projection must not draw from the posterior fitted to it.
            const bool scenario_key =
                section == "scenario" && (entry == "posterior" || entry == "posterior_parameters");
            if (dot == std::string::npos || entry.empty() ||
                (!scenario_key &&
                 std::find(REMOVABLE.begin(), REMOVABLE.end(), section) == REMOVABLE.end())) {
                error(item.pos, key,
                      "'" + item.string + "' is not an entry that can be removed" +
                          (section == "baseline" ? " (every baseline figure is required; "
                                                   "give the child's own value instead)"
                                                 : ""),
                      allowed);
                continue;
            }
            TomlNode* table = find(parent, section);
            TomlNode* found = table != nullptr && table->is_table() ? find(*table, entry) : nullptr;
            if (found == nullptr) {
                std::vector<std::string> names;
                if (table != nullptr) {
                    for (const TomlNode& e : table->entries) {
                        // Of [scenario], only the keys `remove` takes: the others are not
                        // offered (scenario.start is no entry that can be removed).
                        if (!scenario_key || e.key == "posterior" ||
                            e.key == "posterior_parameters") {
                            names.push_back(section + "." + e.key);
                        }
                    }
                }
                std::string list;
                for (const std::string& n : names) {
                    list += (list.empty() ? "" : ", ") + n;
                }
                error(item.pos, key,
                      "'" + item.string + "' is not in " + parent_files(parent) + ", which " +
                          name(item.pos.file) + " extends",
                      !list.empty()  ? list
                      : scenario_key ? "scenario.posterior or scenario.posterior_parameters where "
                                       "the parent names them; " +
                                           parent_files(parent) + " names neither"
                                     : "entries the parent has",
                      did_you_mean(item.string, names));
                continue;
            }
            table->entries.erase(table->entries.begin() + (found - table->entries.data()));
            if (item.string == "scenario.posterior") {
                removed_posterior = &item;
            }
            if (section == "indicators") {
                removed_indicators.emplace_back(entry, &item);
            }
        }
        for (const auto& [id, item] : removed_indicators) {
            check_readers_of_removed(parent, id, *item);
        }
        // The parent's column choice would stay without its posterior (unless the child names
        // one of its own): said at the child's `remove`, the line to change, not at the parent's
        // posterior_parameters, and the choice dropped so that it is said once.
        TomlNode* scenario = find(parent, "scenario");
        TomlNode* child_scenario = find(child, "scenario");
        TomlNode* columns =
            removed_posterior != nullptr && scenario != nullptr && scenario->is_table()
                ? find(*scenario, "posterior_parameters")
                : nullptr;
        const bool child_names_one = child_scenario != nullptr && child_scenario->is_table() &&
                                     find(*child_scenario, "posterior") != nullptr;
        if (columns != nullptr && !child_names_one) {
            error(removed_posterior->pos, "remove",
                  "'scenario.posterior' is removed, but the posterior_parameters of " +
                      name(columns->pos.file) + ":" + std::to_string(columns->pos.line) +
                      " would stay, choosing columns of no posterior",
                  "remove both: \"scenario.posterior\", \"scenario.posterior_parameters\"");
            scenario->entries.erase(scenario->entries.begin() +
                                    (columns - scenario->entries.data()));
        }
    }

    // An indicator taken out while the parent's ratios or targets still read it: said at the
    // child's `remove` entry, the line to change. The loader's own errors follow at the
    // parent's lines, which named neither the child nor its `remove`.
    void check_readers_of_removed(TomlNode& parent, const std::string& id, const TomlNode& item) {
        std::vector<std::string> uses; // "ref.toml:91 (indicators.share.numerator)"
        std::vector<std::string> entries;
        const auto use = [&](const TomlNode& at, const std::string& key, const std::string& entry) {
            uses.push_back(name(at.pos.file) + ":" + std::to_string(at.pos.line) + " (" + key +
                           ")");
            if (std::find(entries.begin(), entries.end(), entry) == entries.end()) {
                entries.push_back(entry);
            }
        };
        if (const TomlNode* indicators = find(parent, "indicators");
            indicators != nullptr && indicators->is_table()) {
            for (const TomlNode& e : indicators->entries) {
                for (const char* field : {"numerator", "denominator", "of"}) {
                    const TomlNode* f = e.is_table() ? e.find(field) : nullptr;
                    if (f != nullptr && f->type == TomlNode::Type::string && f->string == id) {
                        use(*f, "indicators." + e.key + "." + field, "indicators." + e.key);
                    }
                }
            }
        }
        if (const TomlNode* targets = find(parent, "targets");
            targets != nullptr && targets->is_table()) {
            for (const TomlNode& e : targets->entries) {
                const TomlNode* f = e.is_table() ? e.find("indicator") : nullptr;
                if (f != nullptr && f->type == TomlNode::Type::string && f->string == id) {
                    use(*f, "targets." + e.key + ".indicator", "targets." + e.key);
                } else if (f == nullptr && e.key == id && e.is_table()) {
                    use(e, "targets." + e.key + ", on the indicator of its name",
                        "targets." + e.key);
                }
            }
        }
        if (uses.empty()) {
            return;
        }
        std::string listed;
        for (std::size_t u = 0; u < uses.size() && u < 5; ++u) {
            listed += (u == 0 ? "" : ", ") + uses[u];
        }
        if (uses.size() > 5) {
            listed += " and " + std::to_string(uses.size() - 5) + " more";
        }
        std::string also;
        for (const std::string& e : entries) {
            also += (also.empty() ? "" : ", ") + ("\"" + e + "\"");
        }
        error(item.pos, "remove",
              "'indicators." + id + "' is removed, but " + listed +
                  (uses.size() == 1 ? " still reads it" : " still read it"),
              "remove what reads it too (" + also + "), or keep the indicator");
    }

    // The file the child extends, for messages.
    std::string parent_files(const TomlNode&) const { return parent_name_; }

    // A section present in both: entries merge as whole things (see the file comment).
    void merge_section(std::string_view section, TomlNode& parent, TomlNode&& child) {
        parent.pos = child.pos;
        parent.key_pos = child.key_pos;
        for (TomlNode& entry : child.entries) {
            TomlNode* existing = find(parent, entry.key);
            const TomlNode* replace = entry.is_table() ? entry.find("replace") : nullptr;
            const bool whole =
                replace != nullptr && replace->type == TomlNode::Type::boolean && replace->boolean;
            const std::string path = std::string(section) + "." + entry.key;
            if (replace != nullptr) {
                check_replace(*replace, path, existing, parent);
                strip_key(entry, "replace");
            }
            if (existing == nullptr) {
                if (section == "policy_mixes" && entry.is_table()) {
                    strip_replace_in_mix(entry, path);
                }
                parent.entries.push_back(std::move(entry));
            } else if (whole || !existing->is_table() || !entry.is_table()) {
                if (section == "policy_mixes" && entry.is_table()) {
                    strip_replace_in_mix(entry, path);
                }
                *existing = std::move(entry);
            } else if (section == "policy_mixes") {
                merge_mix(*existing, std::move(entry), path);
            } else {
                if (section == "levers") {
                    check_cost_unit(*existing, entry, path);
                }
                if (section == "indicators") {
                    drop_other_kinds_keys(*existing, entry);
                }
                merge_entry(*existing, std::move(entry), forms_of(section), path);
            }
        }
    }

    void check_replace(const TomlNode& replace, const std::string& path, const TomlNode* existing,
                       const TomlNode& parent) {
        if (replace.type != TomlNode::Type::boolean) {
            error(replace.pos, path + ".replace",
                  std::string("expected a boolean, found ") + describe(replace.type),
                  "true (replace the parent's entry whole) or false");
        } else if (replace.boolean && existing == nullptr) {
            error(replace.key_pos, path + ".replace",
                  "there is no [" + path + "] in " + parent_files(parent) + " to replace",
                  "replace = true only on an entry the parent has; leave it out to add a new "
                  "entry");
        }
    }

    // A policy mix present in both: its own keys merge; its levers and parameters are entries.
    void merge_mix(TomlNode& parent, TomlNode&& child, const std::string& path) {
        parent.inherited.push_back(parent.pos);
        parent.pos = child.pos;
        parent.key_pos = child.key_pos;
        for (TomlNode& value : child.entries) {
            TomlNode* existing = find(parent, value.key);
            const bool sub = (value.key == "levers" || value.key == "parameters") &&
                             value.is_table() && existing != nullptr && existing->is_table();
            if (!sub) {
                if (value.is_table() && (value.key == "levers" || value.key == "parameters")) {
                    for (TomlNode& entry : value.entries) {
                        strip_replace(entry, path + "." + value.key + "." + entry.key, nullptr,
                                      parent);
                    }
                }
                if (existing == nullptr) {
                    parent.entries.push_back(std::move(value));
                } else {
                    *existing = std::move(value);
                }
                continue;
            }
            const auto forms = forms_of(value.key == "levers" ? "mix_levers" : "mix_parameters");
            for (TomlNode& entry : value.entries) {
                TomlNode* inner = find(*existing, entry.key);
                const std::string inner_path = path + "." + value.key + "." + entry.key;
                const bool whole = strip_replace(entry, inner_path, inner, parent);
                if (inner == nullptr) {
                    existing->entries.push_back(std::move(entry));
                } else if (whole || !inner->is_table() || !entry.is_table()) {
                    *inner = std::move(entry);
                } else {
                    merge_entry(*inner, std::move(entry), forms, inner_path);
                }
            }
        }
    }

    // Checks and removes `replace` from an entry; true when it asks for whole replacement.
    bool strip_replace(TomlNode& entry, const std::string& path, const TomlNode* existing,
                       const TomlNode& parent) {
        const TomlNode* replace = entry.is_table() ? entry.find("replace") : nullptr;
        if (replace == nullptr) {
            return false;
        }
        const bool whole = replace->type == TomlNode::Type::boolean && replace->boolean;
        check_replace(*replace, path, existing, parent);
        strip_key(entry, "replace");
        return whole;
    }

    // `replace` in a section the parent does not have at all: nothing to replace.
    void strip_replace_in_section(std::string_view section, TomlNode& table) {
        const TomlNode none;
        for (TomlNode& entry : table.entries) {
            const std::string path = std::string(section) + "." + entry.key;
            strip_replace(entry, path, nullptr, none);
            if (section == "policy_mixes" && entry.is_table()) {
                strip_replace_in_mix(entry, path);
            }
        }
    }

    void strip_replace_in_mix(TomlNode& mix, const std::string& path) {
        const TomlNode none;
        for (const char* part : {"levers", "parameters"}) {
            TomlNode* table = find(mix, part);
            if (table == nullptr || !table->is_table()) {
                continue;
            }
            for (TomlNode& entry : table->entries) {
                strip_replace(entry, path + "." + part + "." + entry.key, nullptr, none);
            }
        }
    }

public:
    static void strip_key(TomlNode& table, std::string_view key) {
        table.entries.erase(std::remove_if(table.entries.begin(), table.entries.end(),
                                           [&](const TomlNode& e) { return e.key == key; }),
                            table.entries.end());
    }

private:
    // One entry in both files: a form the child chooses replaces the parent's; the rest merges
    // key by key. The merged entry remembers that it spans two files (for diagnostics).
    void merge_entry(TomlNode& parent, TomlNode&& child, const std::vector<const Form*>& forms,
                     const std::string& path) {
        check_own_citation(parent, child, forms, path);
        for (const Form* form : forms) {
            const bool chosen =
                std::any_of(child.entries.begin(), child.entries.end(),
                            [&](const TomlNode& e) { return contains(form->choosers, e.key); });
            if (chosen) {
                parent.entries.erase(
                    std::remove_if(parent.entries.begin(), parent.entries.end(),
                                   [&](const TomlNode& e) { return contains(form->group, e.key); }),
                    parent.entries.end());
            }
        }
        merge_tables(parent, std::move(child), {});
    }

    // An indicator whose kind the child changes keeps none of the old kind's reading: its
    // scale and unit belong to it (an outside tester's growth, made a stock, kept scale = 100
    // and unit "%" and read a balance of 1,579 as 157,931 %, flipping its target from 19 % to
    // 100 %), and so does its description. The same kind written again keeps them.
    static void drop_other_kinds_keys(TomlNode& parent, const TomlNode& child) {
        const TomlNode* old_kind = parent.find("kind");
        const TomlNode* new_kind = child.find("kind");
        if (old_kind == nullptr || new_kind == nullptr ||
            (old_kind->type == TomlNode::Type::string && new_kind->type == TomlNode::Type::string &&
             old_kind->string == new_kind->string)) {
            return;
        }
        parent.entries.erase(std::remove_if(parent.entries.begin(), parent.entries.end(),
                                            [](const TomlNode& e) {
                                                return e.key == "scale" || e.key == "unit" ||
                                                       e.key == "description";
                                            }),
                             parent.entries.end());
    }

    // A child that gives an entry a new figure (value, distribution, schedule, a mix's scale)
    // must say where the figure comes from: the parent's source or assumption is for the
    // parent's figure, and kept it would be cited for a number it never gave (an outside probe:
    // initial_high_tech = 1200 in a new region went out with Wuhan's citation of 9,145 firms).
    void check_own_citation(const TomlNode& parent, const TomlNode& child,
                            const std::vector<const Form*>& forms, const std::string& path) {
        if (std::find(forms.begin(), forms.end(), &PROVENANCE) == forms.end()) {
            return;
        }
        const auto has = [](const TomlNode& t, const std::vector<std::string_view>& keys) {
            return std::any_of(t.entries.begin(), t.entries.end(),
                               [&](const TomlNode& e) { return contains(keys, e.key); });
        };
        if (has(child, PROVENANCE.choosers) || !has(parent, PROVENANCE.choosers)) {
            return;
        }
        // A form chosen anew (value, distribution, schedule), or any number written into the
        // parent's form: a target's threshold, a lever's initial, steps or cost rate, a
        // prior's low, mode or high (an outside tester's threshold of 2,600 went out citing
        // Wuhan's plan of 13,000 firms, under --strict).
        for (const TomlNode& e : child.entries) {
            const bool chooser = std::any_of(forms.begin(), forms.end(), [&](const Form* form) {
                return form != &PROVENANCE && contains(form->choosers, e.key);
            });
            if (chooser || holds_number(e)) {
                error(e.key_pos, path + ".source",
                      "'" + e.key + "' gives [" + path + "] a figure of its own, but its " +
                          "source or assumption would be the one " + parent_name_ +
                          " gives for its own figure",
                      "source = \"...\" or assumption = \"...\" beside the new " + e.key);
                return;
            }
        }
    }

    // A number, or a table or array holding one (a schedule's steps, a yearly series).
    static bool holds_number(const TomlNode& n) {
        if (n.is_number()) {
            return true;
        }
        const auto any = [](const std::vector<TomlNode>& nodes) {
            return std::any_of(nodes.begin(), nodes.end(), holds_number);
        };
        return any(n.items) || any(n.entries);
    }

    // A child's cost_unit is the unit of every cost rate of the lever, the parent's included: an
    // outside tester's cost_unit = "yuan", added for a per-outcome price, silently turned the
    // parent's 0.1 (m yuan per recruit-year) into 0.1 yuan. A child that changes the unit must
    // write the rates it would re-denominate again.
    void check_cost_unit(const TomlNode& parent, const TomlNode& child, const std::string& path) {
        const TomlNode* unit = child.find("cost_unit");
        if (unit == nullptr || unit->type != TomlNode::Type::string) {
            return;
        }
        const TomlNode* before = parent.find("cost_unit");
        const std::string old_unit =
            before != nullptr && before->type == TomlNode::Type::string ? before->string : "";
        if (old_unit == unit->string) {
            return;
        }
        std::string rates;
        for (const char* rate : {"cost_per_unit_year", "cost_per_unit_added", "cost_per_outcome"}) {
            const TomlNode* r = parent.find(rate);
            if (r != nullptr && r->is_number() && child.find(rate) == nullptr) {
                rates += (rates.empty() ? "" : ", ") + std::string(rate);
            }
        }
        if (rates.empty()) {
            return;
        }
        error(unit->pos, path + ".cost_unit",
              "'" + unit->string + "' would also be the unit of " + rates + " as " + parent_name_ +
                  " writes it" +
                  (old_unit.empty() ? std::string(" (in the budget's currency there)")
                                    : " (in '" + old_unit + "' there)"),
              "write " + rates + " again in '" + unit->string + "' beside it, or keep " +
                  (old_unit.empty() ? std::string("the currency (no cost_unit)")
                                    : "cost_unit = \"" + old_unit + "\""));
    }

    // Plain recursive merge: child keys override, tables merge; the merged table takes the
    // child's position (the file the planner is editing).
    static void merge_tables(TomlNode& base, TomlNode&& child, std::string_view) {
        std::unordered_map<std::string, std::size_t> index;
        for (std::size_t i = 0; i < base.entries.size(); ++i) {
            index.emplace(base.entries[i].key, i);
        }
        base.inherited.push_back(base.pos);
        base.pos = child.pos;
        base.key_pos = child.key_pos;
        for (TomlNode& value : child.entries) {
            const auto found = index.find(value.key);
            if (found == index.end()) {
                index.emplace(value.key, base.entries.size());
                base.entries.push_back(std::move(value));
                continue;
            }
            TomlNode& existing = base.entries[found->second];
            if (existing.is_table() && value.is_table()) {
                merge_tables(existing, std::move(value), {});
            } else {
                existing = std::move(value);
            }
        }
    }

    const SourceFiles& files_;
    std::string parent_name_;
    Diagnostics& out_;
};

// `replace` and `remove` in a file that extends nothing: reported, then taken out so that the
// validator does not report them a second time as unknown keys.
void refuse_without_parent(TomlNode& root, const SourceFiles& files, Diagnostics& out) {
    const auto file_name = [&](const SourcePos& at) {
        const auto i = static_cast<std::size_t>(at.file);
        return at.file >= 0 && i < files.names.size() ? files.names[i] : std::string("<input>");
    };
    if (const TomlNode* remove = root.find("remove")) {
        out.add(make_error(file_name(remove->key_pos), remove->key_pos.line, remove->key_pos.column,
                           "remove",
                           "'remove' drops entries inherited through 'extends', but this file "
                           "extends nothing",
                           "extends = \"parent.toml\" with remove, or delete the entries"));
        Merger::strip_key(root, "remove");
    }
    for (TomlNode& section : root.entries) {
        if (!is_section(section.key) || !section.is_table()) {
            continue;
        }
        for (TomlNode& entry : section.entries) {
            const TomlNode* replace = entry.is_table() ? entry.find("replace") : nullptr;
            if (replace != nullptr) {
                out.add(make_error(file_name(replace->key_pos), replace->key_pos.line,
                                   replace->key_pos.column,
                                   section.key + "." + entry.key + ".replace",
                                   "'replace' replaces an entry inherited through 'extends', "
                                   "but this file extends nothing",
                                   "extends = \"parent.toml\", or leave 'replace' out"));
                Merger::strip_key(entry, "replace");
            }
        }
    }
}

} // namespace

void merge_child(TomlNode& parent, TomlNode&& child, const std::string& parent_name,
                 const SourceFiles& files, Diagnostics& out) {
    Merger(files, parent_name, out).merge(parent, std::move(child));
}

void check_no_parent(TomlNode& root, const SourceFiles& files, Diagnostics& out) {
    refuse_without_parent(root, files, out);
}

} // namespace canopy::engine::detail
