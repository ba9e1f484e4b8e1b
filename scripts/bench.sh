#!/usr/bin/env bash
# Build-speed benchmark: studybook beside Hugo, mdBook and the floor (pulldown-cmark + syntect
# on all cores, `cargo bench --bench floor -- --plain-syntect`; without the flag, the same with
# studybook's own highlighter), on a corpus and on a 4x copy of it.
#
# usage: scripts/bench.sh [CORPUS] [--times N] [--outputs DIR]
#
#   CORPUS        folder of Markdown notes (default ../shared/bench/corpus-zh)
#   --times N     clean builds per tool and size (default 3); the table shows medians
#   --outputs DIR where the builds write (default: the benchmark's folder under $TMPDIR or /tmp);
#                 a tmpfs such as /dev/shm takes the disk's write-back out of the times
#
# Every run is a clean build into a new folder, after a `sync` (so that no run pays for an
# earlier one's disk writes), timed with /usr/bin/time -v (peak RSS);
# studybook also runs with STUDYBOOK_TIMINGS=1 for its per-stage times. Hugo (Debian's `hugo`)
# and mdBook are run when installed; their projects are laid out by prep.py, found beside the
# corpus (`../shared/bench/prep.py`). Pages are the corpus's .md files, the same for every tool.
# Last, if this build has `studybook serve`, the time from editing one note to the served page
# showing the edit.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
corpus=""
times=3
outputs_in=""
while (($#)); do
    case "$1" in
    --times)
        times="${2:?--times needs a number}"
        shift 2
        ;;
    --times=*)
        times="${1#--times=}"
        shift
        ;;
    --outputs)
        outputs_in="${2:?--outputs needs a folder}"
        shift 2
        ;;
    --outputs=*)
        outputs_in="${1#--outputs=}"
        shift
        ;;
    -h | --help)
        sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    -*)
        echo "bench: unknown option $1" >&2
        exit 2
        ;;
    *)
        corpus="$1"
        shift
        ;;
    esac
done
corpus="${corpus:-$root/../shared/bench/corpus-zh}"
if [[ ! -d "$corpus" ]]; then
    echo "bench: corpus folder not found: $corpus" >&2
    echo "usage: scripts/bench.sh [CORPUS] [--times N]" >&2
    exit 2
fi
if ! [[ "$times" =~ ^[1-9][0-9]*$ ]]; then
    echo "bench: --times needs a positive number, got $times" >&2
    exit 2
fi
corpus="$(cd "$corpus" && pwd)"
prep="$(dirname "$corpus")/prep.py"
if [[ ! -x /usr/bin/time ]]; then
    echo "bench: /usr/bin/time is needed (Debian: apt-get install time)" >&2
    exit 2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/studybook-bench.XXXXXX")"
serve_pid=""
cleanup() {
    if [[ -n "$serve_pid" ]]; then
        kill "$serve_pid" 2>/dev/null || true
        wait "$serve_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
    if [[ -n "${outs:-}" ]]; then
        rm -rf "$outs"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

section() {
    printf '\n==> %s\n' "$*" >&2
}

# ---------------------------------------------------------------------------- binaries
section "release binaries"
(cd "$root" && cargo build --release --quiet)
studybook="$root/target/release/studybook"
floor="$(cd "$root" && cargo bench --no-run --bench floor --message-format=json 2>/dev/null |
    python3 -c 'import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "floor":
        print(m["executable"])')"
if [[ -z "$floor" || ! -x "$floor" ]]; then
    echo "bench: could not build the floor benchmark (cargo bench --no-run --bench floor)" >&2
    exit 1
fi
echo "studybook: $studybook" >&2
echo "floor:     $floor" >&2

# ---------------------------------------------------------------------------- corpora
section "corpora"
mkdir -p "$work/x1" "$work/x4"
cp -R "$corpus/." "$work/x1/"
for i in 1 2 3 4; do
    mkdir -p "$work/x4/part$i"
    cp -R "$corpus/." "$work/x4/part$i/"
done
declare -A pages
for size in x1 x4; do
    pages[$size]="$(find "$work/$size" -type f -name '*.md' | wc -l)"
    echo "$size: ${pages[$size]} pages, $(du -sh "$work/$size" | cut -f1)" >&2
done

have_hugo=false
have_mdbook=false
if command -v hugo >/dev/null; then
    if [[ -f "$prep" ]]; then
        have_hugo=true
        echo "hugo: $(hugo version 2>/dev/null | head -n1)" >&2
    else
        echo "hugo: skipped, prep.py not found at $prep" >&2
    fi
else
    echo "hugo: not installed, skipped (Debian: apt-get install hugo)" >&2
fi
if command -v mdbook >/dev/null; then
    if [[ -f "$prep" ]]; then
        have_mdbook=true
        echo "mdbook: $(mdbook --version 2>/dev/null | head -n1)" >&2
    else
        echo "mdbook: skipped, prep.py not found at $prep" >&2
    fi
else
    echo "mdbook: not installed, skipped (cargo install mdbook --locked)" >&2
fi
for size in x1 x4; do
    if $have_hugo; then
        python3 "$prep" hugo "$work/$size" "$work/hugo-$size" 2>/dev/null
    fi
    if $have_mdbook; then
        python3 "$prep" mdbook "$work/$size" "$work/mdbook-$size" 2>/dev/null
    fi
done

# ---------------------------------------------------------------------------- clean builds
results="$work/results.tsv"  # tool size run wall_s peak_kib
stages="$work/stages.tsv"    # size run stage ms
: >"$results"
: >"$stages"

now_ns() {
    date +%s%N
}

# run_timed TOOL SIZE RUN OUTDIR -- COMMAND...: one clean build, recorded in $results.
run_timed() {
    local tool="$1" size="$2" run="$3" out="$4"
    shift 5
    rm -rf "$out"
    local log="$work/$tool-$size-$run.log" tv="$work/$tool-$size-$run.time"
    # Earlier builds' files go to the disk first, so that no build pays for another's write-back.
    sync
    local start end
    start="$(now_ns)"
    if ! /usr/bin/time -v -o "$tv" "$@" >"$log.out" 2>"$log"; then
        echo "bench: $tool on $size failed; its output:" >&2
        tail -n 20 "$log" "$log.out" >&2
        exit 1
    fi
    end="$(now_ns)"
    local peak
    peak="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")"
    local wall
    wall="$(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.3f", (e - s) / 1e9}')"
    printf '%s\t%s\t%s\t%s\t%s\n' "$tool" "$size" "$run" "$wall" "$peak" >>"$results"
    printf '  %-9s %s run %s: %7.2f s, peak %6.0f MiB\n' "$tool" "$size" "$run" "$wall" \
        "$(awk -v k="$peak" 'BEGIN {print k / 1024}')" >&2
}

# Every build writes into a folder of its own, and on a disk the outputs are only deleted when the
# benchmark ends. Deleting a book's thousands of files just before the next build would make the next
# build's file creation slower than in a clean place (on ext4 without a journal, each new inode
# skips every inode freed in the last minute), which is not what a clean build meets.
if [[ -n "$outputs_in" ]]; then
    mkdir -p "$outputs_in"
    outs="$(mktemp -d "$outputs_in/studybook-bench-out.XXXXXX")"
else
    outs="$work/outputs"
    mkdir -p "$outs"
fi
outs_fs="$(df --output=fstype "$outs" | tail -n 1 | tr -d ' ')"
echo "bench: builds write under $outs ($outs_fs)" >&2
# done_with DIR...: a build's output is no longer needed (deleted at once on a tmpfs only).
done_with() {
    if [[ "$outs_fs" == tmpfs ]]; then
        rm -rf "$@"
    fi
}
for size in x1 x4; do
    section "clean builds, $size (${pages[$size]} pages), $times run(s) each"
    for run in $(seq 1 "$times"); do
        out="$outs/studybook-$size-$run"
        STUDYBOOK_TIMINGS=1 run_timed studybook "$size" "$run" "$out" -- \
            "$studybook" build --notes "$work/$size" --out "$out"
        sed -n 's/^timing: \([^0-9]*\): \([0-9.]*\) ms.*$/\1\t\2/p' "$work/studybook-$size-$run.log" |
            awk -v s="$size" -v r="$run" -F'\t' '{printf "%s\t%s\t%s\t%s\n", s, r, $1, $2}' >>"$stages"
        done_with "$out"

        run_timed floor "$size" "$run" "$outs/floor" -- "$floor" "$work/$size" --plain-syntect
        run_timed floor-memo "$size" "$run" "$outs/floor" -- "$floor" "$work/$size"

        if $have_hugo; then
            rm -rf "$work/hugo-$size/resources"
            run_timed hugo "$size" "$run" "$outs/hugo-$size-$run" -- \
                hugo --quiet --source "$work/hugo-$size" --destination "$outs/hugo-$size-$run" \
                --cacheDir "$outs/hugo-cache-$size-$run"
            done_with "$outs/hugo-$size-$run" "$outs/hugo-cache-$size-$run"
        fi
        if $have_mdbook; then
            run_timed mdbook "$size" "$run" "$outs/mdbook-$size-$run" -- \
                mdbook build "$work/mdbook-$size" --dest-dir "$outs/mdbook-$size-$run"
            done_with "$outs/mdbook-$size-$run"
        fi
    done
done

# ---------------------------------------------------------------------------- report
section "report"
echo "builds wrote to $outs_fs ($outs)"
python3 - "$results" "$stages" "${pages[x1]}" "${pages[x4]}" <<'PY'
import statistics
import sys

results_path, stages_path, pages_x1, pages_x4 = sys.argv[1:5]
pages = {"x1": int(pages_x1), "x4": int(pages_x4)}
runs = {}
for line in open(results_path):
    tool, size, _run, wall, peak = line.rstrip("\n").split("\t")
    runs.setdefault((tool, size), []).append((float(wall), int(peak) / 1024))

tools = [t for t in ("studybook", "floor", "floor-memo", "hugo", "mdbook") if (t, "x1") in runs]
med = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
peak = {k: max(p for _, p in v) for k, v in runs.items()}

def ratio(a, b):
    return f"{med[a] / med[b]:.2f}" if a in med and b in med else "-"

print(f"\nclean builds: median wall of {len(runs[('studybook', 'x1')])} run(s), peak = highest max RSS")
print("floor: pulldown-cmark + syntect as shipped (a grammar per fence, ClassedHTMLGenerator);")
print("floor-memo: the same with studybook's highlighter (lines met before in the same state reused)")
print(f"| tool | corpus | pages | wall s | pages/s | peak MiB | ×Hugo | ×floor |")
print(f"|---|---|---|---|---|---|---|---|")
for size in ("x1", "x4"):
    for tool in tools:
        k = (tool, size)
        if k not in med:
            continue
        print(
            f"| {tool} | {size.replace('x', '')}× | {pages[size]} | {med[k]:.2f} | {pages[size] / med[k]:.0f} "
            f"| {peak[k]:.0f} | {ratio(k, ('hugo', size))} | {ratio(k, ('floor', size))} |"
        )

print("\ngrowth, 4× wall / 1× wall (linear = 4.00):")
for tool in tools:
    if (tool, "x4") in med:
        print(f"  {tool:<10} {med[(tool, 'x4')] / med[(tool, 'x1')]:.2f}"
              f"   (peak memory {peak[(tool, 'x4')] / peak[(tool, 'x1')]:.2f}×)")

stages = {}
order = []
for line in open(stages_path):
    size, _run, stage, ms = line.rstrip("\n").split("\t")
    if stage not in order:
        order.append(stage)
    stages.setdefault((stage, size), []).append(float(ms))
if stages:
    print("\nstudybook stages (STUDYBOOK_TIMINGS=1), median ms:")
    print("| stage | 1× ms | 4× ms | 4×/1× |")
    print("|---|---|---|---|")
    for stage in order:
        a = statistics.median(stages.get((stage, "x1"), [0]))
        b = statistics.median(stages.get((stage, "x4"), [0]))
        growth = f"{b / a:.2f}" if a > 0 else "-"
        print(f"| {stage} | {a:.0f} | {b:.0f} | {growth} |")
PY

# ---------------------------------------------------------------------------- serve
# One-note rebuild time in `studybook serve`: start it on a free port over a copy of the
# corpus, wait for the first build, append a line to one note, and time until the served
# chapter page shows that line.
section "serve: one-note rebuild"
serve_help="$("$studybook" serve --help 2>/dev/null)" || serve_help=""
if [[ -z "$serve_help" ]]; then
    echo "serve: not available in this build"
    exit 0
fi
if ! grep -q -- '--port' <<<"$serve_help"; then
    echo "serve: not measured: \`studybook serve\` has no --port option to put it on a free port"
    exit 0
fi

# A top-level note with a plain file name: its page is chapters/<file stem>.html.
note=""
for f in "$work/x1"/*.md; do
    stem="$(basename "$f" .md)"
    if [[ "$stem" =~ ^[a-z0-9][a-z0-9-]*$ ]]; then
        note="$f"
        break
    fi
done
if [[ -z "$note" ]]; then
    echo "serve: not measured: no top-level note with a plain lower-case file name in the corpus"
    exit 0
fi
page="chapters/$(basename "$note" .md).html"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
serve_args=(serve --notes "$work/x1" --port "$port")
if grep -q -- '--out' <<<"$serve_help"; then
    serve_args+=(--out "$work/out-serve")
fi
# From inside the temporary folder, so nothing is written beside the caller.
(cd "$work" && exec "$studybook" "${serve_args[@]}") >"$work/serve.log" 2>&1 &
serve_pid=$!
url="http://127.0.0.1:$port"

# wait_for URL TEXT SECONDS: poll until URL answers (and contains TEXT, if not empty).
wait_for() {
    local target="$1" text="$2" limit="$3" deadline body
    deadline=$(($(date +%s) + limit))
    while (($(date +%s) < deadline)); do
        if ! kill -0 "$serve_pid" 2>/dev/null; then
            echo "serve: the server exited; its output:" >&2
            tail -n 20 "$work/serve.log" >&2
            return 1
        fi
        if body="$(curl -fsS --max-time 5 "$target" 2>/dev/null)"; then
            if [[ -z "$text" ]] || grep -qF -- "$text" <<<"$body"; then
                return 0
            fi
        fi
        sleep 0.02
    done
    echo "serve: gave up after ${limit}s waiting for $target${text:+ to show $text}" >&2
    return 1
}

start="$(now_ns)"
if ! wait_for "$url/" "" 600; then
    exit 1
fi
first="$(now_ns)"
if ! wait_for "$url/$page" "" 60; then
    exit 1
fi
# Edit the note, then follow the live channel as an open page does: the time until the event
# that reloads the note's page, until that page is served with the edit, and until the whole
# book (glossary, search index, other pages) is rebuilt.
awk -v a="$start" -v b="$first" 'BEGIN { printf "serve: first build served after %.2f s\n", (b - a) / 1e9 }'
python3 - "$port" "$note" "$page" <<'PY'
import json, socket, sys, time, urllib.parse, urllib.request
port, note, page = int(sys.argv[1]), sys.argv[2], sys.argv[3]
events = socket.create_connection(("127.0.0.1", port), timeout=600)
events.sendall(b"GET /__studybook/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
pending = b""
def status():
    global pending
    while True:
        while b"\n\n" not in pending:
            data = events.recv(65536)
            if not data:
                sys.exit("serve: the live channel closed")
            pending += data
        block, pending = pending.split(b"\n\n", 1)
        for line in block.decode().splitlines():
            if line.startswith("data: "):
                return json.loads(line[6:])
status()  # the state before the edit
marker = "studybookbenchmarker%d" % time.time_ns()
start = time.perf_counter()
with open(note, "a", encoding="utf-8") as f:
    f.write("\n%s\n" % marker)
while True:
    s = status()
    if s.get("error"):
        sys.exit("serve: the rebuild failed: %s" % s["error"])
    if s.get("pages") is None or page in s["pages"]:
        break
reload_ms = (time.perf_counter() - start) * 1e3
url = "http://127.0.0.1:%d/%s" % (port, urllib.parse.quote(page))
body = urllib.request.urlopen(url, timeout=60).read().decode("utf-8", "replace")
served_ms = (time.perf_counter() - start) * 1e3
if marker not in body:
    sys.exit("serve: the reloaded page does not have the edit")
print("serve: one-note rebuild (%s): %.0f ms from edit to the page's reload event, %.0f ms to the page served with the edit" % (page, reload_ms, served_ms))
if s.get("pages") is not None:
    while s.get("pages") is not None and s["pages"] == [page]:
        s = status()
    print("serve: whole book (glossary, search, other pages) rebuilt %.2f s after the edit" % (time.perf_counter() - start))
PY
