#!/usr/bin/env bash
# TorchSharp 0.107.0's native library needs libstdc++ with GLIBCXX_3.4.32 (GCC 13+). Hosts that lack it (Debian 12,
# Ubuntu 22.04) get, without root and without touching the system, a private copy of the .NET root whose `dotnet` host
# loads Debian 13's libc and libstdc++ (see ../shared/docs/PLATFORM.md). Sourced by build.sh, which defines log, die,
# REPO_ROOT, CACHE_DIR, RUNTIME_DIR and REQUIRED_GLIBCXX; every process that loads TorchSharp must run on that host.

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

# The installed .NET root: the first dotnet on PATH that is not the private runtime (which may be on PATH already,
# as the README suggests for VS Code; copying it from itself would provision again on every run).
system_dotnet_root() {
  local dotnet_bin root private
  private="$(readlink -f "$RUNTIME_DIR/dotnet" 2>/dev/null || true)"
  while IFS= read -r dotnet_bin; do
    root="$(dirname "$(readlink -f "$dotnet_bin")")"
    [[ -n "$private" && "$root" == "$private" ]] && continue
    printf '%s\n' "$root"
    return 0
  done < <(type -ap dotnet)
  die "the .NET SDK is not installed: install .NET SDK 10.0.100 or later (https://dot.net), then run this again."
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
