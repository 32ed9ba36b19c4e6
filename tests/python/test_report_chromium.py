#!/usr/bin/python3
"""The HTML report rendered by a real browser: headless Chromium (Debian's `chromium`).

Usage: test_report_chromium.py CANOPY SCENARIO [run|compare]

Runs `canopy run SCENARIO --all-mixes --report-levers --report` (every mix, and each lever's
effect at its range's ends with its table) or `canopy compare SCENARIO --report` (whose page adds
the paired differences) with a few replicates, then
  1. loads a copy of the page with a checking script appended (the report itself has none) and
     reads the script's findings from the DOM Chromium dumps: every chart's <svg> has a non-zero
     size on screen, every SVG text lies inside its chart's viewBox, no table cell, heading or
     paragraph is wider than its box, and the page does not scroll sideways at 1280 pixels;
  2. takes a screenshot of the page as written and checks that it is not blank (decoded with
     zlib: many colours, and a good share of the pixels not white).
Exits 77 (CTest's skip) with a message when chromium is not installed.
"""
import html
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

CHECK_SCRIPT = r"""
<script>
(function () {
  const out = {charts: 0, empty_charts: [], text_outside: [], html_overflow: [], page: {}};
  const within = 0.75;  // user units of slack for anti-aliasing
  for (const svg of document.querySelectorAll('svg.chart')) {
    out.charts += 1;
    const r = svg.getBoundingClientRect();
    if (!(r.width > 0 && r.height > 0)) {
      out.empty_charts.push(svg.querySelector('title') ? svg.querySelector('title').textContent : '?');
    }
    const vb = svg.viewBox.baseVal;
    for (const t of svg.querySelectorAll('text')) {
      const b = t.getBBox();
      if (b.x < vb.x - within || b.y < vb.y - within ||
          b.x + b.width > vb.x + vb.width + within || b.y + b.height > vb.y + vb.height + within) {
        out.text_outside.push({text: t.textContent, x: b.x, y: b.y, w: b.width, h: b.height,
                               vbw: vb.width, vbh: vb.height});
      }
    }
  }
  for (const el of document.querySelectorAll('td, th, h1, h2, h3, p, dt, dd, li, figcaption')) {
    if (el.scrollWidth > el.clientWidth + 1) {
      out.html_overflow.push({tag: el.tagName, text: el.textContent.slice(0, 80),
                              scroll: el.scrollWidth, client: el.clientWidth});
    }
  }
  out.page = {scroll_width: document.documentElement.scrollWidth, inner_width: window.innerWidth};
  const pre = document.createElement('pre');
  pre.id = 'report-check';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-extensions", "--hide-scrollbars", "--force-device-scale-factor=1",
                  # containers give /dev/shm 64 MB, too little for a tall page: use /tmp
                  "--disable-dev-shm-usage"]

# Headless Chromium can hang on a loaded machine (the ASan suite once hit the test's 300 s
# timeout where it otherwise takes 30-90 s): each attempt has its own deadline and profile, and a
# hung browser is killed and started again, so a hang costs one deadline, not the test. Each
# phase prints its time (flushed), so a timeout shows which phase it was.
ATTEMPTS = 3
DEADLINE_S = 90


def chromium(binary, profile, args, url):
    """Runs headless Chromium once; returns stdout (the DOM for --dump-dom)."""
    for attempt in range(1, ATTEMPTS + 1):
        command = ([binary] + CHROMIUM_FLAGS + ["--user-data-dir=%s-%d" % (profile, attempt)] +
                   args + [url])
        started = time.monotonic()
        try:
            done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=DEADLINE_S)
        except subprocess.TimeoutExpired:
            sys.stderr.write("chromium did not exit within %d s (attempt %d of %d)\n"
                             % (DEADLINE_S, attempt, ATTEMPTS))
            continue
        if done.returncode != 0:
            sys.stderr.write(done.stderr.decode(errors="replace")[-2000:])
            raise SystemExit("chromium failed: " + " ".join(command))
        print("chromium %s: %.1f s" % (args[-1].split("=")[0], time.monotonic() - started),
              flush=True)
        return done.stdout.decode()
    raise SystemExit("chromium hung %d times: %s" % (ATTEMPTS, " ".join([binary] + args + [url])))


def png_pixels(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB or RGBA PNG, stdlib only."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), "expected 8-bit RGB or RGBA"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous, i = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = previous[x]
            c = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + a) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + b) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def main():
    canopy, scenario = sys.argv[1], sys.argv[2]
    command = sys.argv[3] if len(sys.argv) > 3 else "run"
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("SKIP: chromium is not installed (scripts/setup.sh installs it); "
              "the report was not rendered")
        return 77
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.html")
        flags = ["--all-mixes", "--report-levers"] if command == "run" else []
        started = time.monotonic()
        run = subprocess.run([canopy, command, scenario, "--replicates", "4"] + flags +
                             ["--quiet", "--report", report],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
        if run.returncode != 0:
            sys.stderr.write(run.stderr.decode(errors="replace"))
            raise SystemExit("canopy %s --report failed" % command)
        print("canopy %s --report: %.1f s" % (command, time.monotonic() - started), flush=True)
        page = open(report, encoding="utf-8").read()
        assert "<script" not in page, "the report must not need a script"
        if command == "compare":
            assert "Δ P" in page, "the comparison's paired differences are missing"
        else:
            assert 'id="lever-effects"' in page, "the lever effects are missing"
            assert '<table class="effects">' in page, "the lever effects' table is missing"
        checked = os.path.join(tmp, "checked.html")
        with open(checked, "w", encoding="utf-8") as f:
            f.write(page.replace("</body>", CHECK_SCRIPT + "</body>"))
        shot = os.path.join(tmp, "shot.png")
        # One browser at a time: two side by side on a loaded two-core machine are what hang.
        dom = chromium(browser, os.path.join(tmp, "p1"),
                       ["--window-size=1280,900", "--dump-dom"], "file://" + checked)
        chromium(browser, os.path.join(tmp, "p2"),
                 ["--window-size=1280,2400", "--screenshot=" + shot], "file://" + report)
        found = re.search(r'<pre id="report-check">(.*?)</pre>', dom, re.S)
        assert found, "the checking script left no result (did the page load?)"
        result = json.loads(html.unescape(found.group(1)))
        charts = len(re.findall(r'<svg class="chart', page))
        print("charts in the page:", charts, "drawn:", result["charts"])
        if result["charts"] != charts or charts < 10:
            failures.append("expected every chart drawn (%d in the page, %d found)"
                            % (charts, result["charts"]))
        for name in result["empty_charts"]:
            failures.append("chart with zero size: " + name)
        for t in result["text_outside"]:
            failures.append("SVG text outside its chart: %r at x=%.1f..%.1f y=%.1f..%.1f "
                            "(viewBox %gx%g)" % (t["text"], t["x"], t["x"] + t["w"], t["y"],
                                                 t["y"] + t["h"], t["vbw"], t["vbh"]))
        for o in result["html_overflow"]:
            failures.append("%s wider than its box (%d > %d): %r"
                            % (o["tag"], o["scroll"], o["client"], o["text"]))
        if result["page"]["scroll_width"] > result["page"]["inner_width"]:
            failures.append("the page scrolls sideways at 1280 px: %r" % result["page"])

        width, height, channels, rows = png_pixels(shot)
        colours, inked = set(), 0
        for row in rows[::4]:
            for x in range(0, width * channels, channels * 4):
                pixel = row[x:x + 3]
                colours.add(pixel)
                if pixel != b"\xff\xff\xff":
                    inked += 1
        sampled = len(rows[::4]) * len(range(0, width * channels, channels * 4))
        share = inked / sampled
        print("screenshot %dx%d: %d colours, %.1f %% of pixels not white"
              % (width, height, len(colours), 100 * share))
        if len(colours) < 16 or share < 0.03:
            failures.append("the screenshot looks blank: %d colours, %.2f %% inked"
                            % (len(colours), 100 * share))
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
