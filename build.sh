#!/usr/bin/env bash
# DeepVision build script: one entry point for building, testing and executing the course.
#
#   ./build.sh build                                 restore and build everything the notebooks and tests use
#   ./build.sh test                                  every test: unit tests, every notebook in dotnet-repl, Jupyter (CI)
#   ./build.sh notebooks [--profile quick|full|gpu] [notebook...]
#                                                    execute notebooks in dotnet-repl into artifacts/notebooks/
#   ./build.sh jupyter [--profile P] [notebook...]   execute notebooks through Jupyter (nbclient) and check them
#   ./build.sh export [--profile P] [--run] [notebook...]
#                                                    export notebooks as .NET 10 file-based apps into artifacts/apps/
#   ./build.sh data [dataset...]                     download the full datasets into the user's cache, checked
#   ./build.sh bench [benchmark...]                  run the benchmarks and print their figures
#   ./build.sh render [executed.ipynb...]           screenshots of executed notebooks, scripts off and on
#   ./build.sh doctor                                what this machine has: .NET, libstdc++, the runtime in use
#
# TorchSharp 0.107.0's native library needs libstdc++ with GLIBCXX_3.4.32 (GCC 13+). On hosts that lack it
# (Debian 12, Ubuntu 22.04) tools/private-runtime.sh provisions, without root and without touching the system, a
# private copy of the .NET root whose `dotnet` host loads Debian 13's libc and libstdc++, in .cache/ (git-ignored),
# reused by later runs.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_DIR="${DEEPVISION_BUILD_CACHE:-$REPO_ROOT/.cache}"
RUNTIME_DIR="$CACHE_DIR/runtime"
REQUIRED_GLIBCXX="GLIBCXX_3.4.32"
CONFIGURATION="${CONFIGURATION:-Release}"
SOLUTION="$REPO_ROOT/DeepVision.slnx"
NOTEBOOK_TOOL="$REPO_ROOT/tools/notebooks.cs"
EXPORT_TOOL="$REPO_ROOT/tools/export.cs"
DATA_TOOL="$REPO_ROOT/tools/data.cs"
BENCH_PROJECT="$REPO_ROOT/tests/DeepVision.Benchmarks/DeepVision.Benchmarks.csproj"

log() { printf '[build] %s\n' "$*" >&2; }
die() { printf '[build] error: %s\n' "$*" >&2; exit 1; }

usage() {
  cat <<'EOF'
Usage: ./build.sh <verb> [options]

Verbs:
  build                                  Restore the .NET tools (dotnet-repl, dotnet-interactive) and build the
                                         helpers, tests and benchmarks; packs the helpers package the
                                         notebooks reference (artifacts/packages/DeepVision.<version>.nupkg).
  test                                   Every test: the unit tests, every notebook executed in the real kernel
                                         (dotnet-repl) in the quick profile with the check of what learners see,
                                         and notebook 04 executed through Jupyter (nbclient). CI runs this.
                                         Tests of the official full datasets are skipped, each with its reason,
                                         when those are absent; with the shared real data beside the checkout
                                         (this project's CI) any skipped test fails the run.
  data [dataset...]                      Download every dataset the full profiles use (mnist, fashion-mnist,
                                         cifar-10, imagenette2-160, imagenette2-320) into the user's cache
                                         (~/.cache/deepvision, or DEEPVISION_CACHE), each checked against its
                                         published MD5; interrupted or corrupt downloads leave nothing behind.
  notebooks [--profile quick|full|gpu] [--timeout SECONDS] [notebook...]
                                         Execute notebooks (default: all of notebooks/*.ipynb) in dotnet-repl and
                                         write the executed copies under artifacts/notebooks/, then print a table:
                                         notebook, status, time, key results. quick (default) uses the samples in
                                         datasets/ offline; full uses the real settings and datasets (a 2-core
                                         CPU finishes each; 07-12 train for up to an hour, 10 two); gpu
                                         (07-12) is the paper's scale, for a GPU, not run here.
  record [--profile quick|full|gpu] [--timeout SECONDS] [notebook...]
                                         Execute notebooks (default: all) in their recording profile
                                         (metadata.deepvision.recording: full) and, when a
                                         run passes, write its outputs into the notebook in notebooks/ (sources
                                         untouched) with the profile, machine, versions, time and code hash.
                                         The only command that writes notebooks/. Default timeout 3 hours.
  jupyter [--profile quick|full|gpu] [--timeout SECONDS] [notebook...]
                                         Execute notebooks (default: 04) through Jupyter's nbclient and the .NET
                                         kernel for Jupyter, into artifacts/jupyter/, and check them as the
                                         notebooks verb does. Installs Debian's python3-nbclient when it is
                                         missing (as root).
  export [--profile quick|full|gpu] [--run] [notebook...]
                                         Export notebooks (default: all) as .NET 10 file-based apps, the route that
                                         needs no notebook kernel: artifacts/apps/<name>.cs, run with
                                         `dotnet run artifacts/apps/<name>.cs` (console, PNG pictures and
                                         artifacts/apps/<name>/index.html with the outputs in cell order).
                                         --run also runs each app and checks its page (CI does, quick profile).
  bench [name...]                        Run the benchmarks and print their figures.
  render [executed.ipynb...]             Render executed notebooks as a static viewer does (nbconvert HTML) and
                                         screenshot them in headless Chromium with scripts off and on
                                         (needs: apt-get install chromium python3-nbconvert).
  doctor                                 Show the .NET SDK, the host's libstdc++ and which dotnet is used.
  help                                   This message.

Environment:
  DEEPVISION_DATA          folder holding the full datasets (default: the shared folder's datasets/)
  DEEPVISION_CACHE         the user's dataset cache that `data` fills (default: ~/.cache/deepvision)
  DEEPVISION_SHARED        the shared real data (default: ../shared beside the checkout, or beside the
                           local repository it was cloned from)
  DEEPVISION_BUILD_CACHE   where the private runtime is cached (default: .cache/ in the checkout)
  DEEPVISION_LIBSTDCXX     libstdc++ file to check instead of the host's (for testing the detection)
  DEEPVISION_DEBIAN_MIRROR Debian mirror to fetch the runtime packages from (default: the one apt uses)
  CONFIGURATION            Release (default) or Debug
EOF
}

# The libstdc++ fix for TorchSharp on Debian 12 / Ubuntu 22.04 (detection and the private runtime).
# shellcheck source=tools/private-runtime.sh
source "$REPO_ROOT/tools/private-runtime.sh"

# Puts the right dotnet first on PATH for every later step.
use_dotnet() {
  if needs_private_runtime; then
    provision_private_runtime
    export DOTNET_ROOT="$RUNTIME_DIR/dotnet"
    export PATH="$RUNTIME_DIR/dotnet:$PATH"
    export DOTNET_HOST_PATH="$RUNTIME_DIR/dotnet/dotnet"
  else
    system_dotnet_root >/dev/null
  fi
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT=1
  # The tests and the notebooks' full profile read the real data in the shared folder when there is one.
  local shared
  if shared="$(find_shared)"; then
    export DEEPVISION_SHARED="$shared"
    [[ -n "${DEEPVISION_DATA:-}" || ! -d "$shared/datasets" ]] || export DEEPVISION_DATA="$shared/datasets"
  fi
}

# The shared real data (datasets, PyTorch fixtures): $DEEPVISION_SHARED, else ../shared beside the checkout, else
# ../shared beside the local repository this one was cloned from (a scratch clone in /tmp still finds it).
find_shared() {
  local candidate origin
  for candidate in "${DEEPVISION_SHARED:-}" "$REPO_ROOT/../shared"; do
    [[ -n "$candidate" && -d "$candidate" ]] && { (cd "$candidate" && pwd); return 0; }
  done
  origin="$(git -C "$REPO_ROOT" remote get-url origin 2>/dev/null || true)"
  if [[ -n "$origin" && -d "$origin" && -d "$origin/../shared" ]]; then
    (cd "$origin/../shared" && pwd)
    return 0
  fi
  return 1
}

# ---------------------------------------------------------------------------------------------------------------
# Verbs
# ---------------------------------------------------------------------------------------------------------------

verb_doctor() {
  local lib
  lib="$(host_libstdcxx || true)"
  echo "repository:          $REPO_ROOT"
  echo "system dotnet root:  $(system_dotnet_root)"
  echo "host libstdc++:      ${lib:-not found}"
  if host_libstdcxx_is_new_enough; then
    echo "$REQUIRED_GLIBCXX:    present"
  else
    echo "$REQUIRED_GLIBCXX:    missing"
  fi
  if needs_private_runtime; then
    echo "runtime:             private ($RUNTIME_DIR/dotnet)"
  else
    echo "runtime:             system"
  fi
  local warning
  warning="$(system_libtorch_warning)"
  echo "system libtorch:     ${warning:-none on the library path (good: TorchSharp uses its own)}"
  # Linux lists the caches that an x86 CPU describes in CPUID (an AMD one through its topology extensions); a virtual
  # machine that leaves them blank makes libtorch's oneDNN divide by zero in some convolutions (README, Troubleshooting).
  if [[ "$(uname -m)" == x86_64 && -d /sys/devices/system/cpu/cpu0 ]] \
     && { grep -q GenuineIntel /proc/cpuinfo || { grep -q AuthenticAMD /proc/cpuinfo && grep -q ' topoext' /proc/cpuinfo; }; }; then
    if [[ -d /sys/devices/system/cpu/cpu0/cache/index0 ]]; then
      echo "CPU caches:          described"
    else
      echo "CPU caches:          not described by this CPU (a virtual machine's CPUID): libtorch's oneDNN may compute wrong convolutions or end with SIGFPE (exit 136); helpers 0.20.0 and later limit it to its SSE4.1 kernels there and check them, 0.19.0 switches it off where it finds its convolutions wrong (DEEPVISION_ONEDNN=off forces that), notebooks on earlier helpers do neither (README, Troubleshooting)"
    fi
  fi
  if [[ "${1:-}" == "--provision" ]]; then
    use_dotnet
    echo "dotnet in use:       $(command -v dotnet) ($(dotnet --version))"
  fi
}

# Prints "PASSED FAILED SKIPPED" of the unit tests' TRX files in folder $1 (dotnet test --logger trx: XML results, read
# by tools/test-results.py, not dotnet test's console text); nothing, and status 1, when there are none.
unit_test_counts() {
  /usr/bin/python3 "$REPO_ROOT/tools/test-results.py" counts "$1"
}

# The failed tests of the TRX files in folder $1, each with the first lines of its message and stack, so that the end
# of a long run (all a CI page may show) names what failed and why.
failed_test_report() {
  /usr/bin/python3 "$REPO_ROOT/tools/test-results.py" failures "$1"
}

# Skipped tests are allowed only where the data they need is absent: with the shared real data (this project's CI)
# every test must run. Prints why the run fails, and returns 1, when the summary ("N passed, N failed, N skipped")
# has skips and DEEPVISION_SHARED is set.
judge_skips() {
  local skipped
  skipped="$(echo "$1" | awk '{ print $5 }')"
  [[ "$skipped" -gt 0 ]] || return 0
  log "$skipped tests were skipped; each says why above (the line under its [SKIP])"
  if [[ -n "${DEEPVISION_SHARED:-}" ]]; then
    echo "the shared real data is at $DEEPVISION_SHARED, so no test may be skipped: the run fails"
    return 1
  fi
}

# The .NET tools of .config/dotnet-tools.json (dotnet-repl, dotnet-interactive), the solution, and the notebook step.
build_all() {
  log "dotnet $(dotnet --version) ($(command -v dotnet))"
  (cd "$REPO_ROOT" && dotnet tool restore)
  dotnet restore "$SOLUTION" --nologo
  dotnet build "$SOLUTION" -c "$CONFIGURATION" --no-restore --nologo
  (cd "$REPO_ROOT" && dotnet build "$NOTEBOOK_TOOL" --nologo -v quiet -clp:NoSummary)
  (cd "$REPO_ROOT" && dotnet build "$DATA_TOOL" --nologo -v quiet -clp:NoSummary)
  (cd "$REPO_ROOT" && dotnet build "$EXPORT_TOOL" --nologo -v quiet -clp:NoSummary)
  refresh_helpers_package "$(helpers_version)"
  pack_earlier_helpers
}

helpers_version() { sed -n 's:.*<DeepVisionVersion>\(.*\)</DeepVisionVersion>.*:\1:p' "$REPO_ROOT/Directory.Packages.props"; }

# Every notebook pins the helpers version it was recorded with. After a version raise, a notebook not yet re-recorded
# still pins the earlier version, and runs that version's helpers, built from the commit that last had them
# (Directory.Packages.props lists each such version with its commit). A notebook's file-based app pins its version the
# same way (`#:package DeepVision@…`, notebook 06's predict/predict.cs). An earlier version nothing pins is not built.
helpers_pinned_by() {
  { grep -lF "\"#r \\\"nuget: DeepVision, $1\\\"" "$REPO_ROOT"/notebooks/*.ipynb
    grep -lF "#:package DeepVision@$1" "$REPO_ROOT"/notebooks/*/*.cs; } 2>/dev/null || true
}
pack_earlier_helpers() {
  local version commit folder pinned   # pinned: the names of the notebooks and apps that pin $version
  while read -r version commit; do
    [[ -n "$version" ]] || continue
    pinned="$(helpers_pinned_by "$version" | xargs -rn1 basename | paste -sd' ' -)"
    [[ -n "$pinned" ]] || continue
    git -C "$REPO_ROOT" cat-file -e "$commit^{commit}" 2>/dev/null \
      || die "$pinned pin the helpers $version, built from commit $commit, which this clone lacks (a shallow clone or a download without history): clone the whole repository, or run git fetch --unshallow"
    folder="$REPO_ROOT/artifacts/earlier-helpers/$version"
    if [[ ! -f "$REPO_ROOT/artifacts/packages/DeepVision.$version.nupkg" || ! -f "$folder/.built-from-$commit" ]]; then
      log "packing the helpers $version (still pinned by $pinned) from commit $commit"
      rm -rf "$folder" && mkdir -p "$folder"
      git -C "$REPO_ROOT" archive "$commit" helpers Directory.Build.props Directory.Packages.props global.json nuget.config | tar -x -C "$folder"
      # A Release build packs (GeneratePackageOnBuild), into the repository's own package folder.
      dotnet build "$folder/helpers/DeepVision/DeepVision.csproj" -c Release -p:PackageOutputPath="$REPO_ROOT/artifacts/packages/" --nologo -v quiet -clp:NoSummary
      touch "$folder/.built-from-$commit"
    fi
    refresh_helpers_package "$version"
  done < <(sed -n 's:.*<DeepVisionEarlierVersion Include="\([^"]*\)" Commit="\([0-9a-f]*\)".*:\1 \2:p' "$REPO_ROOT/Directory.Packages.props")
}

# The build packs the helpers as artifacts/packages/DeepVision.<version>.nupkg (the notebooks' `#r "nuget: DeepVision,
# <version>"`). NuGet caches a package by id and version and never looks at a rebuilt one again, so when the cached
# copy's assembly or dependencies differ from the new package's, the cached copy is removed and the next kernel
# restores the new one. (The .nupkg itself differs at every pack, by its file times, so its bytes prove nothing.)
refresh_helpers_package() {
  local version="$1" package cached
  package="$REPO_ROOT/artifacts/packages/DeepVision.$version.nupkg"
  [[ -f "$package" ]] || die "the build did not pack the helpers into $package"
  cached="${NUGET_PACKAGES:-$HOME/.nuget/packages}/deepvision/$version"
  [[ -d "$cached" ]] || return 0
  if ! unzip -p "$package" lib/net10.0/DeepVision.dll | cmp -s - "$cached/lib/net10.0/DeepVision.dll" \
    || ! unzip -p "$package" DeepVision.nuspec | cmp -s - "$cached/deepvision.nuspec"; then
    rm -rf "$cached"
    log "helpers changed: removed the cached DeepVision $version so that kernels restore the new package"
  fi
}

verb_build() {
  use_dotnet
  build_all
}

# A system-wide libtorch_cpu.so (Debian's libtorch-dev, recommended by python3-torch) is found by TorchSharp's first,
# by-name load in a notebook kernel, before its own libtorch, and every TorchSharp call then fails. Prints the fix.
system_libtorch_warning() {
  local found
  found="$(ldconfig -p 2>/dev/null | awk '$1 == "libtorch_cpu.so" { print $NF; exit }')"
  [[ -z "$found" || ! -e "$found" ]] || echo "a system libtorch ($found, from $(dpkg -S "$found" 2>/dev/null | cut -d: -f1 || echo 'another package')) is on the library path: TorchSharp in notebook kernels loads it instead of its own and fails. Remove it (Debian: sudo apt-get remove libtorch-dev; python3-torch keeps working)."
}

# The notebook step: tools/notebooks.cs runs dotnet-repl on each notebook (the source is never written).
run_notebooks() {
  local warning
  warning="$(system_libtorch_warning)"
  [[ -z "$warning" ]] || log "warning: $warning"
  (cd "$REPO_ROOT" && dotnet run "$NOTEBOOK_TOOL" -- run "$@")
}

# One total of the unit tests (their TRX files), the notebooks in dotnet-repl, notebook 04 through Jupyter and the
# file-based apps (each tool's JSON summary): read as data, never from console text. Its last line, "N passed,
# N failed, N skipped", is what CI reads.
verb_test() {
  use_dotnet
  build_all
  local log_file results_dir status=0 test_status=0 notebooks_status=0 jupyter_status=0 apps_status=0
  mkdir -p "$REPO_ROOT/artifacts"
  log_file="$REPO_ROOT/artifacts/test.log"
  results_dir="$REPO_ROOT/artifacts/test-results"
  rm -rf "$results_dir"
  # Normal verbosity: every test's outcome is in the log, and a skipped test's reason is printed under it. The counts
  # come from the TRX results.
  dotnet test "$SOLUTION" -c "$CONFIGURATION" --no-build --nologo --logger "console;verbosity=normal" --logger trx \
    --results-directory "$results_dir" 2>&1 | tee "$log_file" || test_status=$?
  status=$test_status
  local summary skip_failure counts unit_passed unit_failed unit_skipped
  if ! counts="$(unit_test_counts "$results_dir")"; then
    log "no test results (TRX) were found in $results_dir: treating the run as failed"
    exit 1
  fi
  read -r unit_passed unit_failed unit_skipped <<<"$counts"
  # dotnet test failing with no failed test (a crashed test host) counts as one failure.
  [[ $test_status -eq 0 || $unit_failed -gt 0 ]] || unit_failed=1
  summary="$unit_passed passed, $unit_failed failed, $unit_skipped skipped"
  skip_failure="$(judge_skips "$summary")" || status=1
  log "every notebook in the real kernel (dotnet-repl), quick profile"
  rm -f "$REPO_ROOT/artifacts/notebooks/summary-quick.json"
  run_notebooks --profile quick --timeout 600 2>&1 | tee "$REPO_ROOT/artifacts/notebooks.log" || notebooks_status=$?
  log "every notebook as a file-based app (dotnet run), quick profile"
  rm -f "$REPO_ROOT/artifacts/apps/summary.json"
  (cd "$REPO_ROOT" && dotnet run "$EXPORT_TOOL" -- run --profile quick --timeout 600) 2>&1 | tee "$REPO_ROOT/artifacts/apps.log" || apps_status=$?
  log "notebook 04 through Jupyter (nbclient)"
  rm -f "$REPO_ROOT/artifacts/jupyter/summary-quick.json"
  run_jupyter --profile quick "$REPO_ROOT/notebooks/04-deep-networks-on-mnist.ipynb" 2>&1 | tee "$REPO_ROOT/artifacts/jupyter.log" || jupyter_status=$?
  # Notebook 06 runs its predict.cs app, and the build that leaves under ~/.local/share/dotnet/runfile/ (about 1.5 GB:
  # libtorch for three systems) is kept for every checkout path. The test run made it, so it removes it.
  (cd "$REPO_ROOT" && dotnet clean notebooks/predict/predict.cs --nologo -v quiet >/dev/null 2>&1) \
    || log "warning: dotnet clean notebooks/predict/predict.cs failed; its build stays under ~/.local/share/dotnet/runfile/"
  # Each step's counts from its tool's JSON summary; a step that failed without counting a failure counts one.
  local nb_passed=0 nb_failed=1 jupyter_passed=0 jupyter_failed=1 apps_passed=0 apps_failed=1
  if counts="$(json_counts "$REPO_ROOT/artifacts/notebooks/summary-quick.json")"; then read -r nb_passed nb_failed <<<"$counts"; fi
  [[ $notebooks_status -eq 0 || $nb_failed -gt 0 ]] || nb_failed=1
  if counts="$(json_counts "$REPO_ROOT/artifacts/jupyter/summary-quick.json")"; then read -r jupyter_passed jupyter_failed <<<"$counts"; fi
  [[ $jupyter_status -eq 0 || $jupyter_failed -gt 0 ]] || jupyter_failed=1
  if counts="$(json_counts "$REPO_ROOT/artifacts/apps/summary.json")"; then read -r apps_passed apps_failed <<<"$counts"; fi
  [[ $apps_status -eq 0 || $apps_failed -gt 0 ]] || apps_failed=1
  echo
  echo "unit tests:  $summary"
  echo "notebooks:   $nb_passed passed, $nb_failed failed (dotnet-repl, quick profile: table above, copies in artifacts/notebooks/)"
  echo "jupyter:     $jupyter_passed passed, $jupyter_failed failed (notebook 04 through nbclient, copy in artifacts/jupyter/)"
  echo "apps:        $apps_passed passed, $apps_failed failed (file-based apps, quick profile: pages in artifacts/apps/)"
  echo "$((unit_passed + nb_passed + jupyter_passed + apps_passed)) passed, $((unit_failed + nb_failed + jupyter_failed + apps_failed)) failed, $unit_skipped skipped"
  [[ -z "$skip_failure" ]] || log "$skip_failure"
  if [[ $unit_failed -gt 0 ]] && [[ -n "$(failed_test_report "$results_dir")" ]]; then
    log "failed unit tests (the full log is artifacts/test.log, the results artifacts/test-results/):"
    failed_test_report "$results_dir"
  fi
  [[ $status -eq 0 && $notebooks_status -eq 0 && $jupyter_status -eq 0 && $apps_status -eq 0 ]] || exit 1
}

# "passed failed" of a tool's JSON summary ({"passed": N, "failed": N, ...}); nothing when the file is missing or not JSON.
json_counts() {
  [[ -f "$1" ]] || return 1
  /usr/bin/python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); print(int(s["passed"]), int(s["failed"]))' "$1" 2>/dev/null
}

verb_export() {
  use_dotnet
  build_all >/dev/null
  local verb=export args=()
  for a in "$@"; do [[ "$a" == "--run" ]] && verb=run || args+=("$a"); done
  (cd "$REPO_ROOT" && dotnet run "$EXPORT_TOOL" -- "$verb" "${args[@]}")
}

# Every dataset of the full profiles into the user's cache (tools/data.cs: MD5-checked, atomic, resumable).
verb_data() {
  use_dotnet
  (cd "$REPO_ROOT" && dotnet run "$DATA_TOOL" -- "$@")
}

# Runs notebooks in their recording profiles and writes the outputs into notebooks/ (the only command that does).
verb_record() {
  use_dotnet
  build_all >/dev/null
  local warning
  warning="$(system_libtorch_warning)"
  [[ -z "$warning" ]] || log "warning: $warning"
  (cd "$REPO_ROOT" && dotnet run "$NOTEBOOK_TOOL" -- record "$@")
}

verb_notebooks() {
  use_dotnet
  build_all >/dev/null
  run_notebooks "$@"
}

# Debian's nbclient for /usr/bin/python3: installed when missing and this is root; otherwise the error says how.
ensure_nbclient() {
  local python=/usr/bin/python3
  if [[ -x "$python" ]] && "$python" -c 'import nbclient, nbformat, ipykernel' 2>/dev/null; then return 0; fi
  command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]] \
    || die "the Jupyter check needs Debian's python3-nbclient: run 'sudo apt-get install python3-nbclient python3-nbformat python3-ipykernel'"
  log "installing Debian's python3-nbclient for the Jupyter check (once)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      python3-nbclient python3-nbformat python3-ipykernel; } >"$REPO_ROOT/artifacts/apt-nbclient.log" 2>&1 \
    || die "apt-get could not install python3-nbclient python3-nbformat python3-ipykernel: $(tail -n 3 "$REPO_ROOT/artifacts/apt-nbclient.log")"
}

# Notebooks through Jupyter: the notebook tool's Jupyter engine (tools/jupyter-run.py with nbclient and the .NET
# kernel for Jupyter, on a kernel spec of its own that only this run sees), with the same preparation, check, table
# and JSON summary as the dotnet-repl route; executed copies in artifacts/jupyter/. Default notebook: 04.
run_jupyter() {
  local args=() a given=0
  for a in "$@"; do
    if [[ "$a" == *.ipynb ]]; then
      [[ -f "$a" ]] || die "$a: no such notebook"
      a="$(cd "$(dirname "$a")" && pwd)/$(basename "$a")"
      given=1
    fi
    args+=("$a")
  done
  [[ $given -eq 1 ]] || args+=("$REPO_ROOT/notebooks/04-deep-networks-on-mnist.ipynb")
  mkdir -p "$REPO_ROOT/artifacts/jupyter"
  ensure_nbclient
  (cd "$REPO_ROOT" && dotnet run "$NOTEBOOK_TOOL" -- run --engine jupyter --out "$REPO_ROOT/artifacts/jupyter" "${args[@]}")
}

verb_jupyter() {
  use_dotnet
  build_all >/dev/null
  run_jupyter "$@"
}

verb_bench() {
  use_dotnet
  [[ -f "$BENCH_PROJECT" ]] || die "no benchmark project at $BENCH_PROJECT"
  dotnet build "$BENCH_PROJECT" -c Release --nologo -v quiet -clp:NoSummary
  exec dotnet "$REPO_ROOT/tests/DeepVision.Benchmarks/bin/Release/net10.0/DeepVision.Benchmarks.dll" "$@"
}

main() {
  local verb="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$verb" in
    build) verb_build "$@" ;;
    test) verb_test "$@" ;;
    notebooks) verb_notebooks "$@" ;;
    record) verb_record "$@" ;;
    data) verb_data "$@" ;;
    jupyter) verb_jupyter "$@" ;;
    export) verb_export "$@" ;;
    bench) verb_bench "$@" ;;
    doctor) verb_doctor "$@" ;;
    render) exec "$REPO_ROOT/tests/Rendering/render-check.sh" "$@" ;;
    help|-h|--help) usage ;;
    "") usage >&2; exit 2 ;;
    *) printf "[build] error: unknown verb '%s'\n\n" "$verb" >&2; usage >&2; exit 2 ;;
  esac
}

# Sourced (by the tests of its functions), it only defines them.
[[ "${BASH_SOURCE[0]}" != "$0" ]] || main "$@"
