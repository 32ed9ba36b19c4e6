// History CSVs and the error model (observations.hpp).
#include <canopy/engine/error.hpp>
#include <canopy/engine/toml_document.hpp>
#include <canopy/engine/units.hpp>
#include <canopy/experiments/observations.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <numbers>
#include <sstream>
#include <string>
#include <unordered_map>

namespace canopy::experiments {

namespace {

using engine::Diagnostic;
using engine::Diagnostics;

constexpr double INF = std::numeric_limits<double>::infinity();

/// A history file is a table of published figures: a few thousand rows at most.
constexpr std::uintmax_t MAX_DATA_BYTES = std::uintmax_t{16} * 1024 * 1024;

const std::array<const char*, 6> COLUMNS = {"series", "year", "value", "unit", "source", "quote"};

// `text` without the spaces and tabs around it.
std::string trimmed(const std::string& text) {
    const std::size_t begin = text.find_first_not_of(" \t");
    if (begin == std::string::npos) {
        return {};
    }
    return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

void error(Diagnostics& out, const std::string& file, int line, int column, std::string key,
           std::string message, std::string allowed = {}) {
    Diagnostic d;
    d.file = file;
    d.line = line;
    d.column = column;
    d.key = std::move(key);
    d.message = std::move(message);
    d.allowed = std::move(allowed);
    out.add(std::move(d));
}

// One field of a CSV record and where it starts.
struct Field {
    std::string text;
    int line = 0;
    int column = 0;
};

// Splits RFC 4180 text into records of fields (quoted fields may hold commas, doubled quotes
// and line breaks). Reports an unterminated quote or text after a closing quote.
std::vector<std::vector<Field>> split_csv(std::string_view text, const std::string& file,
                                          Diagnostics& out, std::vector<int>& record_lines) {
    std::vector<std::vector<Field>> records;
    std::vector<Field> record;
    Field field;
    int line = 1;
    int column = 1;
    std::size_t i = 0;
    bool at_field_start = true;
    int record_line = 1;
    auto end_field = [&] {
        record.push_back(std::move(field));
        field = Field{};
        at_field_start = true;
    };
    auto end_record = [&] {
        end_field();
        // A blank line is no record.
        if (!(record.size() == 1 && record[0].text.empty())) {
            records.push_back(std::move(record));
            record_lines.push_back(record_line);
        }
        record.clear();
    };
    if (text.substr(0, 3) == "\xEF\xBB\xBF") {
        i = 3; // a UTF-8 byte-order mark
    }
    while (i < text.size()) {
        const char c = text[i];
        if (at_field_start) {
            field.line = line;
            field.column = column;
            if (record.empty()) {
                record_line = line;
            }
            at_field_start = false;
            if (c == '"') {
                // A quoted field: up to the closing quote, "" standing for one quote.
                ++i;
                ++column;
                bool closed = false;
                while (i < text.size()) {
                    const char q = text[i];
                    if (q == '"') {
                        if (i + 1 < text.size() && text[i + 1] == '"') {
                            field.text += '"';
                            i += 2;
                            column += 2;
                            continue;
                        }
                        ++i;
                        ++column;
                        closed = true;
                        break;
                    }
                    if (q == '\n') {
                        ++line;
                        column = 1;
                    } else if ((static_cast<unsigned char>(q) & 0xC0) != 0x80) {
                        ++column; // count code points, not bytes
                    }
                    field.text += q;
                    ++i;
                }
                if (!closed) {
                    error(out, file, field.line, field.column, "",
                          "a quoted field is not closed before the end of the file",
                          "a closing '\"' (a quote inside a field is written '\"\"')");
                    return {};
                }
                if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
                    error(out, file, line, column, "", "text after the closing quote of a field",
                          "a ',' or the end of the line after a quoted field");
                    return {};
                }
                continue;
            }
        }
        if (c == ',') {
            end_field();
            ++i;
            ++column;
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            ++i; // CRLF: the '\n' ends the record
        } else if (c == '\n') {
            end_record();
            ++i;
            ++line;
            column = 1;
        } else {
            field.text += c;
            if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
                ++column;
            }
            ++i;
        }
    }
    if (!at_field_start || !record.empty()) {
        end_record();
    }
    return records;
}

bool parse_double(const std::string& text, double& out) {
    std::size_t b = 0;
    std::size_t e = text.size();
    while (b < e && (text[b] == ' ' || text[b] == '\t')) {
        ++b;
    }
    while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t')) {
        --e;
    }
    if (b == e) {
        return false;
    }
    const char* first = text.data() + b;
    if (*first == '+') {
        ++first; // from_chars does not take a leading '+'
    }
    const auto r = std::from_chars(first, text.data() + e, out);
    return r.ec == std::errc() && r.ptr == text.data() + e && std::isfinite(out);
}

// ---- SHA-256 (FIPS 180-4) ----------------------------------------------------------------------

constexpr std::array<std::uint32_t, 64> K256 = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

constexpr std::uint32_t rotr(std::uint32_t x, int n) noexcept {
    return (x >> n) | (x << (32 - n));
}

} // namespace

std::string sha256_hex(std::string_view bytes) {
    std::array<std::uint32_t, 8> h = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    std::string message(bytes);
    const std::uint64_t bit_length = static_cast<std::uint64_t>(bytes.size()) * 8U;
    message += static_cast<char>(0x80);
    while (message.size() % 64 != 56) {
        message += '\0';
    }
    for (int k = 7; k >= 0; --k) {
        message += static_cast<char>((bit_length >> (8 * k)) & 0xFFU);
    }
    std::array<std::uint32_t, 64> w{};
    for (std::size_t chunk = 0; chunk < message.size(); chunk += 64) {
        for (std::size_t t = 0; t < 16; ++t) {
            const auto byte = [&](std::size_t k) {
                return static_cast<std::uint32_t>(static_cast<unsigned char>(message[chunk + k]));
            };
            w[t] = (byte(4 * t) << 24) | (byte(4 * t + 1) << 16) | (byte(4 * t + 2) << 8) |
                   byte(4 * t + 3);
        }
        for (std::size_t t = 16; t < 64; ++t) {
            const std::uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
            const std::uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        std::array<std::uint32_t, 8> v = h;
        for (std::size_t t = 0; t < 64; ++t) {
            const std::uint32_t s1 = rotr(v[4], 6) ^ rotr(v[4], 11) ^ rotr(v[4], 25);
            const std::uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
            const std::uint32_t t1 = v[7] + s1 + ch + K256[t] + w[t];
            const std::uint32_t s0 = rotr(v[0], 2) ^ rotr(v[0], 13) ^ rotr(v[0], 22);
            const std::uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            const std::uint32_t t2 = s0 + maj;
            v = {t1 + t2, v[0], v[1], v[2], v[3] + t1, v[4], v[5], v[6]};
        }
        for (std::size_t k = 0; k < 8; ++k) {
            h[k] += v[k];
        }
    }
    static constexpr char HEX[] = "0123456789abcdef";
    std::string out;
    for (const std::uint32_t word : h) {
        for (int k = 7; k >= 0; --k) {
            out += HEX[(word >> (4 * k)) & 0xFU];
        }
    }
    return out;
}

std::optional<DataFile> read_data_csv(const std::filesystem::path& path, Diagnostics& out) {
    const std::string file = path.generic_string();
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status)) {
        error(out, file, 0, 0, "", "cannot read the data file: no such file",
              "a CSV in the format of scenarios/data/wuhan-history.csv");
        return std::nullopt;
    }
    if (!std::filesystem::is_regular_file(status)) {
        error(out, file, 0, 0, "", "cannot read the data file: not a regular file");
        return std::nullopt;
    }
    if (std::filesystem::file_size(path, ec) > MAX_DATA_BYTES || ec) {
        error(out, file, 0, 0, "", "the data file is larger than 16 MiB",
              "a table of published figures");
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (!in && !in.eof()) {
        error(out, file, 0, 0, "", "cannot read the data file");
        return std::nullopt;
    }
    const std::string text = buffer.str();
    if (text.empty()) {
        error(out, file, 0, 0, "", "the data file is empty",
              "a header 'series,year,value,unit,source,quote' and one figure a row");
        return std::nullopt;
    }
    if (text.find('\0') != std::string::npos) {
        error(out, file, 0, 0, "", "the data file holds a NUL byte: it is not a text CSV");
        return std::nullopt;
    }
    // Before any field is read: text in another encoding (GBK) was taken, carried into the
    // posterior's units as bytes marked UTF-8, and the JSON writer stopped on it after the
    // whole calibration had run.
    if (!engine::check_utf8_text(text, file, out)) {
        return std::nullopt;
    }
    Diagnostics local;
    std::vector<int> lines;
    const auto records = split_csv(text, file, local, lines);
    if (local.has_errors()) {
        out.append(local);
        return std::nullopt;
    }
    if (records.empty()) {
        error(out, file, 1, 1, "", "the data file has no header",
              "a header 'series,year,value,unit,source,quote'");
        return std::nullopt;
    }
    // The header: the six columns, in this order.
    const auto& header = records.front();
    bool header_ok = header.size() == COLUMNS.size();
    for (std::size_t c = 0; header_ok && c < COLUMNS.size(); ++c) {
        header_ok = header[c].text == COLUMNS[c];
    }
    if (!header_ok) {
        error(out, file, lines.front(), 1, "",
              "the header is not 'series,year,value,unit,source,quote'",
              "exactly these six columns, in this order");
        return std::nullopt;
    }
    DataFile data;
    data.path = path;
    data.sha256 = sha256_hex(text);
    std::unordered_map<std::string, int> first_line; // each row's fields, joined: its line
    for (std::size_t r = 1; r < records.size(); ++r) {
        const auto& rec = records[r];
        const int line = lines[r];
        if (rec.size() != COLUMNS.size()) {
            error(out, file, line, 1, "",
                  "this row has " + std::to_string(rec.size()) + " fields, the header 6",
                  "series,year,value,unit,source,quote (quote a field that holds a comma)");
            continue;
        }
        DataRow row;
        row.line = line;
        row.value_column = rec[2].column;
        row.unit_column = rec[3].column;
        // The series, year and unit as names: spaces around them are not part of the name (a
        // value's are not part of the number). "reference_exits " fitted nothing of the series,
        // said only as an unused series whose space did not show.
        row.series = trimmed(rec[0].text);
        row.unit = trimmed(rec[3].text);
        row.source = rec[4].text;
        row.quote = rec[5].text;
        bool ok = true;
        if (row.series.empty()) {
            error(out, file, line, rec[0].column, "series", "the series is empty",
                  "the name of the series the figure belongs to");
            ok = false;
        }
        const std::string y = trimmed(rec[1].text);
        int year = 0;
        const auto yr = std::from_chars(y.data(), y.data() + y.size(), year);
        if (y.empty() || yr.ec != std::errc() || yr.ptr != y.data() + y.size() || year < 1 ||
            year > 9999) {
            error(out, file, line, rec[1].column, "year", "'" + y + "' is not a year",
                  "a whole number 1 .. 9999");
            ok = false;
        }
        double value = 0.0;
        if (!parse_double(rec[2].text, value)) {
            error(out, file, line, rec[2].column, "value", "'" + rec[2].text + "' is not a number",
                  "a finite decimal number such as 1357.41 (no thousands separators or units; "
                  "the unit goes in the unit column)");
            ok = false;
        }
        // A figure fitted without saying where it was published is a placeholder presented as
        // data: as a scenario's value and a prior, it needs a source.
        if (engine::blank_text(row.source)) {
            error(out, file, line, rec[4].column, "source", "the source is empty",
                  "where the figure was published: document, table, page or URL (a simulated "
                  "figure says how it was made)");
            ok = false;
        }
        // A row that repeats another field for field is the same figure pasted twice: it would
        // weigh twice in the fit. (Two sources of one year's figure differ in their source.)
        std::string whole;
        for (const auto& field : rec) {
            whole += field.text;
            whole += '\x1f';
        }
        if (const auto [first, fresh] = first_line.emplace(std::move(whole), line); !fresh) {
            error(out, file, line, 1, "",
                  "this row repeats line " + std::to_string(first->second) +
                      " field for field: the figure would count twice",
                  "one row per published figure (the same year's figure from two sources "
                  "differs in the source column)");
            ok = false;
        }
        if (ok) {
            row.year = year;
            row.value = value;
            data.rows.push_back(std::move(row));
        }
    }
    if (out.has_errors()) {
        return std::nullopt;
    }
    return data;
}

const char* to_string(Measure measure) noexcept {
    switch (measure) {
    case Measure::stock:
        return "stock";
    case Measure::flow:
        return "flow";
    case Measure::change:
        return "change";
    case Measure::growth:
        return "growth";
    }
    return "?";
}

std::string Observation::kind_text() const {
    std::string text;
    if (lower_bound) {
        text = "lower bound";
    } else if (!approximate && !forecast) {
        text = "exact";
    }
    if (approximate) {
        text += text.empty() ? "approximate" : ", approximate";
    }
    if (forecast) {
        text += text.empty() ? "forecast" : ", forecast";
    }
    return text;
}

double Observation::simulated(std::span<const double> finals) const {
    if (indicators.empty()) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    const double x = finals[indicators[0]];
    if (measure == Measure::change) {
        return x - finals[indicators[1]];
    }
    return x;
}

double residual(const Observation& o, double x) {
    const double z = (x - o.row.value) / o.sd;
    return o.lower_bound ? std::min(z, 0.0) : z;
}

double log_likelihood(const Observation& o, double x) {
    if (std::isnan(x)) {
        return -INF;
    }
    const double z = (x - o.row.value) / o.sd;
    if (!o.lower_bound) {
        return -0.5 * z * z;
    }
    // log Phi(z): from erfc while it is accurate, from its asymptotic series far in the tail.
    if (z > -30.0) {
        return std::log(0.5 * std::erfc(-z / std::numbers::sqrt2));
    }
    const double z2 = z * z;
    return -0.5 * z2 - std::log(-z) - 0.5 * std::log(2.0 * std::numbers::pi) +
           std::log1p(-1.0 / z2 + 3.0 / (z2 * z2));
}

} // namespace canopy::experiments
