#!/usr/bin/env bash
# DeepVision build script: one entry point for building, testing and executing the course.
#
#   ./build.sh test                                  restore, build, run every test (what CI runs)
#   ./build.sh notebooks [--profile quick|full|cpu] [notebook...]
#                                                    execute notebooks headlessly into artifacts/notebooks/
#   ./build.sh bench [benchmark...]                  run the benchmarks and print their figures
#   ./build.sh render [executed.ipynb...]           screenshots of executed notebooks, scripts off and on
#   ./build.sh doctor                                what this machine has: .NET, libstdc++, the runtime in use
#
# TorchSharp 0.107.0's native library needs libstdc++ with GLIBCXX_3.4.32 (GCC 13+). On hosts that lack it
# (Debian 12, Ubuntu 22.04) this script provisions, without root and without touching the system, a private copy
# of the .NET root whose `dotnet` host loads Debian 13's libc and libstdc++ (see ../shared/docs/PLATFORM.md).
# It lives in .cache/ (git-ignored) and is reused by later runs.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_DIR="${DEEPVISION_BUILD_CACHE:-$REPO_ROOT/.cache}"
RUNTIME_DIR="$CACHE_DIR/runtime"
REQUIRED_GLIBCXX="GLIBCXX_3.4.32"
CONFIGURATION="${CONFIGURATION:-Release}"
SOLUTION="$REPO_ROOT/DeepVision.slnx"
RUNNER_PROJECT="$REPO_ROOT/helpers/DeepVision.Runner/DeepVision.Runner.csproj"
BENCH_PROJECT="$REPO_ROOT/tests/DeepVision.Benchmarks/DeepVision.Benchmarks.csproj"

log() { printf '[build] %s\n' "$*" >&2; }
die() { printf '[build] error: %s\n' "$*" >&2; exit 1; }

usage() {
  cat <<'EOF'
Usage: ./build.sh <verb> [options]

Verbs:
  test                                   Restore, build and run every test: unit tests and the headless
                                         execution of every notebook in the quick profile. CI runs this.
  notebooks [--profile quick|full|cpu] [notebook...]
                                         Execute notebooks (default: all of notebooks/*.ipynb) headlessly and
                                         write the executed copies under artifacts/notebooks/, then print a table:
                                         notebook, status, time, key results. quick (default) uses the samples in
                                         datasets/ offline; full uses the real settings and datasets; cpu
                                         (notebooks 07-12) is a reduced scale that a 2-core CPU finishes.
  bench [name...]                        Run the benchmarks and print their figures.
  render [executed.ipynb...]             Render executed notebooks as a static viewer does (nbconvert HTML) and
                                         screenshot them in headless Chromium with scripts off and on
                                         (needs: apt-get install chromium python3-nbconvert).
  doctor                                 Show the .NET SDK, the host's libstdc++ and which dotnet is used.
  help                                   This message.

Environment:
  DEEPVISION_DATA          folder holding the full datasets (default: the shared folder's datasets/)
  DEEPVISION_SHARED        the shared real data (default: ../shared beside the checkout, or beside the
                           local repository it was cloned from)
  DEEPVISION_BUILD_CACHE   where the private runtime is cached (default: .cache/ in the checkout)
  DEEPVISION_LIBSTDCXX     libstdc++ file to check instead of the host's (for testing the detection)
  DEEPVISION_DEBIAN_MIRROR Debian mirror to fetch the runtime packages from (default: the one apt uses)
  CONFIGURATION            Release (default) or Debug
EOF
}

# ---------------------------------------------------------------------------------------------------------------
# Runtime detection and provisioning
# ---------------------------------------------------------------------------------------------------------------

# Prints the path of the libstdc++.so.6 the dynamic loader would use, or nothing.
host_libstdcxx() {
  if [[ -n "${DEEPVISION_LIBSTDCXX:-}" ]]; then
    printf '%s\n' "$DEEPVISION_LIBSTDCXX"
    return
  fi
  local ldconfig_bin path
  for ldconfig_bin in ldconfig /sbin/ldconfig /usr/sbin/ldconfig; do
    if command -v "$ldconfig_bin" >/dev/null 2>&1; then
      path="$("$ldconfig_bin" -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 /{print $NF; exit}')"
      if [[ -n "$path" ]]; then printf '%s\n' "$path"; return; fi
    fi
  done
  for path in /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6 /usr/lib/libstdc++.so.6; do
    if [[ -e "$path" ]]; then printf '%s\n' "$path"; return; fi
  done
}

# Succeeds when the host can load TorchSharp's native library with its own libstdc++.
host_libstdcxx_is_new_enough() {
  local lib
  lib="$(host_libstdcxx)"
  [[ -n "$lib" && -r "$lib" ]] || return 1
  grep -q -a "$REQUIRED_GLIBCXX" "$lib"
}

needs_private_runtime() {
  [[ "$(uname -s)" == "Linux" ]] || return 1
  ! host_libstdcxx_is_new_enough
}

system_dotnet_root() {
  local dotnet_bin
  dotnet_bin="$(command -v dotnet)" || die "the .NET SDK is not installed: install .NET SDK 10.0.100 or later (https://dot.net), then run this again."
  dirname "$(readlink -f "$dotnet_bin")"
}

# The Debian mirror the machine's apt already uses (no host name is written into the repository).
debian_mirror() {
  if [[ -n "${DEEPVISION_DEBIAN_MIRROR:-}" ]]; then printf '%s\n' "$DEEPVISION_DEBIAN_MIRROR"; return; fi
  local files=() f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -r "$f" ]] && files+=("$f")
  done
  [[ ${#files[@]} -gt 0 ]] || return 1
  # deb822 "URIs: <url>" lines and one-line "deb [opts] <url> <suite> ..." entries; keep the main archive, not security.
  awk '
    /^[[:space:]]*URIs:/ { for (i = 2; i <= NF; i++) print $i }
    /^[[:space:]]*deb[[:space:]]/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }
  ' "${files[@]}" | grep -E '/debian/?$' | grep -v -- '-security' | head -n 1
}

provision_failure() {
  die "$1
TorchSharp 0.107.0 needs libstdc++ with $REQUIRED_GLIBCXX (GCC 13 or later); this host's libstdc++ ($(host_libstdcxx || true)) lacks it.
Distributions that have it: Ubuntu 24.04+, Debian 13+, Fedora 39+ (and Windows or macOS).
On Debian 12 this script fixes it by itself with apt-get and dpkg-deb (no root needed); on other distributions,
use one of the above or set DEEPVISION_DEBIAN_MIRROR to a Debian mirror that carries 'trixie'."
}

# Builds $RUNTIME_DIR/dotnet: a hard-linked copy of the .NET root whose host uses Debian 13's libc and libstdc++.
provision_private_runtime() {
  local source_root stamp_text
  source_root="$(system_dotnet_root)"
  stamp_text="source=$source_root sdk=$(ls "$source_root/sdk" 2>/dev/null | tr '\n' ' ') host=$(stat -c %Y "$source_root/dotnet")"
  if [[ -x "$RUNTIME_DIR/dotnet/dotnet" && -f "$RUNTIME_DIR/stamp" && "$(cat "$RUNTIME_DIR/stamp")" == "$stamp_text" ]]; then
    return 0
  fi

  command -v apt-get >/dev/null 2>&1 || provision_failure "apt-get is not available, so the private runtime cannot be fetched."
  command -v dpkg-deb >/dev/null 2>&1 || provision_failure "dpkg-deb is not available, so the private runtime cannot be unpacked."
  local mirror
  mirror="$(debian_mirror)" || true
  [[ -n "$mirror" ]] || provision_failure "no Debian mirror was found in the apt configuration."

  log "host libstdc++ lacks $REQUIRED_GLIBCXX: provisioning a private .NET runtime in $RUNTIME_DIR (once)"
  local work="$CACHE_DIR/runtime.tmp.$$"
  rm -rf "$work"
  mkdir -p "$work/apt/lists/partial" "$work/apt/archives/partial" "$work/sysroot"
  trap 'rm -rf "$work"' EXIT
  printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s trixie main\n' "$mirror" > "$work/apt/sources.list"
  local apt_opts=(
    -o "Dir::Etc::SourceList=$work/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache::archives=$work/apt/archives"
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root -qq
  )
  apt-get "${apt_opts[@]}" update >"$work/apt.log" 2>&1 \
    || provision_failure "apt-get could not read Debian 13 ('trixie') from $mirror: $(tail -n 3 "$work/apt.log")"
  (cd "$work/apt/archives" && apt-get "${apt_opts[@]}" download libc6 libstdc++6 libgcc-s1 patchelf) >>"$work/apt.log" 2>&1 \
    || provision_failure "apt-get could not download libc6, libstdc++6, libgcc-s1 and patchelf: $(tail -n 3 "$work/apt.log")"
  local deb
  for deb in "$work"/apt/archives/*.deb; do dpkg-deb -x "$deb" "$work/sysroot"; done

  local libdir="$work/sysroot/usr/lib/x86_64-linux-gnu"
  local loader="$libdir/ld-linux-x86-64.so.2"
  [[ -x "$loader" ]] || provision_failure "the Debian 13 loader was not found in the downloaded libc6."
  # Hard links (not symlinks): MSBuild and vstest find the host through the runtime's real location.
  if ! cp -al "$source_root" "$work/dotnet" 2>/dev/null; then
    log "hard links across file systems are impossible here; copying the .NET root instead"
    rm -rf "$work/dotnet"
    cp -a "$source_root" "$work/dotnet"
  fi
  # Replace only the host by a real, patched copy; patchelf itself runs on the new libc.
  rm "$work/dotnet/dotnet"
  cp "$source_root/dotnet" "$work/dotnet/dotnet"

  # Final location is fixed now, so the paths written into the host point at it.
  rm -rf "$RUNTIME_DIR"
  mkdir -p "$RUNTIME_DIR"
  mv "$work/sysroot" "$RUNTIME_DIR/sysroot"
  mv "$work/dotnet" "$RUNTIME_DIR/dotnet.tmp"
  libdir="$RUNTIME_DIR/sysroot/usr/lib/x86_64-linux-gnu"
  loader="$libdir/ld-linux-x86-64.so.2"
  "$loader" --library-path "$libdir" "$RUNTIME_DIR/sysroot/usr/bin/patchelf" \
    --set-interpreter "$loader" --force-rpath --set-rpath "$libdir" "$RUNTIME_DIR/dotnet.tmp/dotnet" \
    || provision_failure "patchelf could not patch the dotnet host."
  "$RUNTIME_DIR/dotnet.tmp/dotnet" --version >/dev/null 2>&1 \
    || provision_failure "the patched dotnet host does not start."
  mv "$RUNTIME_DIR/dotnet.tmp" "$RUNTIME_DIR/dotnet"
  printf '%s' "$stamp_text" > "$RUNTIME_DIR/stamp"
  rm -rf "$work"
  trap - EXIT
  log "private runtime ready: $RUNTIME_DIR/dotnet"
}

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
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
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
  if [[ "${1:-}" == "--provision" ]]; then
    use_dotnet
    echo "dotnet in use:       $(command -v dotnet) ($(dotnet --version))"
  fi
}

# Prints "N passed, N failed, N skipped" from dotnet test's per-assembly summaries.
summarize_test_log() {
  awk '
    /(Passed|Failed)! +- +Failed: +[0-9]+, +Passed: +[0-9]+, +Skipped: +[0-9]+/ {
      for (i = 1; i <= NF; i++) {
        if ($i == "Failed:") { v = $(i+1); gsub(/,/, "", v); failed += v }
        if ($i == "Passed:") { v = $(i+1); gsub(/,/, "", v); passed += v }
        if ($i == "Skipped:") { v = $(i+1); gsub(/,/, "", v); skipped += v }
      }
      seen = 1
    }
    END { if (seen) printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped }
  ' "$1"
}

verb_test() {
  use_dotnet
  log "dotnet $(dotnet --version) ($(command -v dotnet))"
  dotnet restore "$SOLUTION" --nologo
  dotnet build "$SOLUTION" -c "$CONFIGURATION" --no-restore --nologo
  local log_file status=0
  mkdir -p "$REPO_ROOT/artifacts"
  log_file="$REPO_ROOT/artifacts/test.log"
  dotnet test "$SOLUTION" -c "$CONFIGURATION" --no-build --nologo 2>&1 | tee "$log_file" || status=$?
  local summary
  summary="$(summarize_test_log "$log_file")"
  if [[ -z "$summary" ]]; then
    log "no test summary was found in the test output: treating the run as failed"
    exit 1
  fi
  echo
  echo "$summary"
  exit "$status"
}

verb_notebooks() {
  use_dotnet
  if ! compgen -G "$REPO_ROOT/notebooks/*.ipynb" >/dev/null; then
    log "notebooks/ holds no notebook yet: nothing to execute"
    return 0
  fi
  # The notebooks reference the helpers DLL (artifacts/helpers/DeepVision.dll): build it with the runner.
  dotnet build "$REPO_ROOT/helpers/DeepVision/DeepVision.csproj" -c "$CONFIGURATION" --nologo -v quiet -clp:NoSummary
  dotnet build "$RUNNER_PROJECT" -c "$CONFIGURATION" --nologo -v quiet -clp:NoSummary
  exec dotnet "$REPO_ROOT/helpers/DeepVision.Runner/bin/$CONFIGURATION/net10.0/DeepVision.Runner.dll" course --repo "$REPO_ROOT" "$@"
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
    test) verb_test "$@" ;;
    notebooks) verb_notebooks "$@" ;;
    bench) verb_bench "$@" ;;
    doctor) verb_doctor "$@" ;;
    render) exec "$REPO_ROOT/tests/Rendering/render-check.sh" "$@" ;;
    help|-h|--help) usage ;;
    "") usage >&2; exit 2 ;;
    *) printf "[build] error: unknown verb '%s'\n\n" "$verb" >&2; usage >&2; exit 2 ;;
  esac
}

main "$@"
