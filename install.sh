#!/bin/sh
# install.sh: installs gov, the Go toolchain manager, on Linux.
#
#   curl --proto '=https' --tlsv1.2 -fsSL <release>/install.sh | sh -s -- --yes --go 1.22.5
#
# It downloads gov-<arch>-unknown-linux-gnu.tar.gz, its .sha256 and its .sig
# from GOV_RELEASE_BASE, refuses the download unless the digests match and
# `ssh-keygen -Y verify` finds it signed by one of gov's release keys, and puts
# `gov` into GOV_BIN_DIR with one rename (root: GOV_SYSTEM_BIN_DIR, else /usr/local/bin; others:
# ~/.local/bin). Running it again is harmless. Options: see usage below.
#
# POSIX sh: runs under dash, busybox ash and bash. Everything happens in
# main, called on the last line, so a download cut short runs nothing.

set -eu

usage() {
    cat <<'EOF'
install.sh: install gov, the Go toolchain manager

usage: install.sh [--yes] [--go <version>] [--proxy <preset>] [--persist] [--allow-downgrade]
                  [--no-signature]
       curl --proto '=https' --tlsv1.2 -fsSL <url>/install.sh | sh -s -- [options]

options:
  -y, --yes          do not ask for confirmation (a run without a terminal never asks)
  --go <version>     also install that Go and make it the global default
                     (gov install <version>; gov global <version>)
  --proxy <preset>   apply a module proxy preset (gov proxy use <preset>), e.g. cn
  --persist          make go and gofmt reach login shells and systemd user
                     services (gov persist)
  --allow-downgrade  replace an installed gov that is newer than this release
  --no-signature     install without checking the release's signature (for a
                     host without ssh-keygen 8.1+); only the .sha256, from the
                     same server as the release, is then checked
  -h, --help         print this help

environment:
  GOV_RELEASE_BASE   where the release artifacts live (https; plain http only
                     for a loopback address)
  GOV_BIN_DIR        where gov, go and gofmt go (root: GOV_SYSTEM_BIN_DIR,
                     else /usr/local/bin; others: ~/.local/bin)
  GOV_HOME, GOV_INDEX_URL, GOV_MIRROR are passed on to gov; GOV_INDEX_URL,
  GOV_MIRROR and GOV_RELEASE_BASE are also saved in gov's config (gov config
  show), for root in the system layer every account reads.
EOF
}

say() {
    printf 'gov-install: %s\n' "$*" >&2
}

# die <message> [hint]: a failure (exit 1).
die() {
    printf 'gov-install: error: %s\n' "$1" >&2
    if [ $# -ge 2 ]; then
        printf '  hint: %s\n' "$2" >&2
    fi
    exit 1
}

# usage_error <message>: bad options (exit 2).
usage_error() {
    printf 'gov-install: error: %s\n' "$1" >&2
    printf '  hint: run with --help for the options\n' >&2
    exit 2
}

has() {
    command -v "$1" >/dev/null 2>&1
}

# is_loopback_url <url>: true for http(s)://localhost, 127.x.y.z or [::1].
is_loopback_url() {
    lb_rest=${1#*://}
    lb_hostport=${lb_rest%%/*}
    case $lb_hostport in
        *@*) return 1 ;;
        '[::1]' | '[::1]:'*) return 0 ;;
    esac
    lb_host=${lb_hostport%%:*}
    case $lb_host in
        localhost) return 0 ;;
        127.*)
            case ${lb_host#127.} in
                '' | *[!0-9.]*) return 1 ;;
                *) return 0 ;;
            esac
            ;;
    esac
    return 1
}

# glibc_version: sets gv_major and gv_minor, or leaves them empty when the
# C library does not say (not glibc, or no getconf).
glibc_version() {
    gv_major=
    gv_minor=
    gv=$(getconf GNU_LIBC_VERSION 2>/dev/null) || return 0
    case $gv in
        glibc\ [0-9]*.[0-9]*) ;;
        *) return 0 ;;
    esac
    gv=${gv#glibc }
    gv_major=${gv%%.*}
    gv_minor=${gv#*.}
    gv_minor=${gv_minor%%[!0-9]*}
    case $gv_major$gv_minor in
        '' | *[!0-9]*)
            gv_major=
            gv_minor=
            ;;
    esac
}

# check_platform: sets target (the Rust target triple of the artifact).
check_platform() {
    os=$(uname -s 2>/dev/null) || os=unknown
    case $os in
        Linux) ;;
        Darwin)
            die "this is macOS; gov's release builds are for Linux" \
                "on macOS build gov from source: cargo install --locked --path ."
            ;;
        *)
            die "unsupported operating system: $os (gov's release builds are for Linux)" \
                "elsewhere build gov from source: cargo install --locked --path ."
            ;;
    esac
    machine=$(uname -m 2>/dev/null) || machine=unknown
    case $machine in
        x86_64 | amd64) arch=x86_64 loader=/lib64/ld-linux-x86-64.so.2 ;;
        aarch64 | arm64) arch=aarch64 loader=/lib/ld-linux-aarch64.so.1 ;;
        *)
            die "unsupported architecture: $machine (release builds exist for x86_64 and aarch64)" \
                "build gov from source on this host: cargo install --locked --path ."
            ;;
    esac
    target="$arch-unknown-linux-gnu"
    # The release binary links against glibc 2.17 or later.
    if [ ! -e "$loader" ]; then
        for musl in /lib/ld-musl-*; do
            if [ -e "$musl" ]; then
                die "this system uses musl libc (Alpine?); gov's release binary needs glibc 2.17 or later" \
                    "build gov from source on this host: cargo install --locked --path ."
            fi
        done
    fi
    glibc_version
    if [ -n "$gv_major" ] && [ -n "$gv_minor" ]; then
        if [ "$gv_major" -lt 2 ] || { [ "$gv_major" -eq 2 ] && [ "$gv_minor" -lt 17 ]; }; then
            die "this system has glibc $gv_major.$gv_minor; gov's release binary needs glibc 2.17 or later (CentOS 7, Debian 8, Ubuntu 14.04 and newer)" \
                "build gov from source on this host: cargo install --locked --path ."
        fi
    fi
}

# check_base: validates GOV_RELEASE_BASE; sets base and insecure_ok.
check_base() {
    base=${GOV_RELEASE_BASE:-$default_base}
    while :; do
        case $base in
            */) base=${base%/} ;;
            *) break ;;
        esac
    done
    case $base in
        https://?*) plain_http=0 ;;
        http://?*)
            if is_loopback_url "$base"; then
                plain_http=1
            else
                die "refusing plain http for GOV_RELEASE_BASE ($base): anyone on the path could alter the download" \
                    "use an https:// URL (plain http is accepted only for a loopback address)"
            fi
            ;;
        *)
            die "GOV_RELEASE_BASE must be an https:// URL, not '$base'" \
                "point it at the directory that holds gov-$target.tar.gz and its .sha256"
            ;;
    esac
}

# pick_downloader: sets downloader to curl or wget.
pick_downloader() {
    if has curl; then
        downloader=curl
    elif has wget; then
        wget_help=$(wget --help 2>&1 || true)
        case $wget_help in
            *--https-only*TLSv1_2* | *TLSv1_2*--https-only*) downloader=wget ;;
            *)
                die "the wget here cannot insist on https and TLS 1.2 (busybox wget, or GNU Wget older than 1.17)" \
                    "install curl (or a newer GNU Wget) and run this again"
                ;;
        esac
    else
        die "neither curl nor wget is installed" \
            "install one of them (apt-get install curl, dnf install curl, ...) and run this again"
    fi
}

# download <url> <file>: https only (TLS 1.2+), with retries. Every
# redirect hop is held to the same rule as the first URL: https, or plain
# http to loopback when GOV_RELEASE_BASE is a loopback http URL.
download() {
    if [ "$downloader" = curl ]; then
        if [ "$plain_http" = 1 ]; then
            dl_proto='=http,https'
        else
            dl_proto='=https'
        fi
        curl --proto "$dl_proto" --proto-redir '=https' --tlsv1.2 \
            --fail --silent --show-error --location \
            --retry 3 --retry-delay 1 --connect-timeout 20 \
            --output "$2" "$1"
    else
        wget_download "$1" "$2"
    fi
}

# hop_allowed <url>: may a download (or a redirect) go there?
hop_allowed() {
    case $1 in
        https://?*) return 0 ;;
        http://?*) [ "$plain_http" = 1 ] && is_loopback_url "$1" ;;
        *) return 1 ;;
    esac
}

# wget_download <url> <file>: wget's --https-only does not cover
# redirects, so wget follows none; each Location is checked, then fetched.
wget_download() {
    dl_url=$1
    dl_file=$2
    dl_first=$1
    dl_hops=0
    while :; do
        if [ "$plain_http" = 1 ]; then
            set -- --max-redirect=0
        else
            set -- --max-redirect=0 --https-only --secure-protocol=TLSv1_2
        fi
        if dl_log=$(wget "$@" --server-response --tries=3 --waitretry=1 \
            --retry-connrefused --timeout=30 --output-document="$dl_file.part" "$dl_url" 2>&1); then
            mv "$dl_file.part" "$dl_file"
            return 0
        fi
        # The last Location header wget printed (shell only: no sed here).
        dl_next=
        dl_lines=$(printf '%s\n' "$dl_log" | tr -d '\r')
        while IFS= read -r dl_line; do
            dl_line=${dl_line#"${dl_line%%[! ]*}"}
            case $dl_line in
                [Ll]ocation:*)
                    dl_next=${dl_line#*:}
                    dl_next=${dl_next#"${dl_next%%[! ]*}"}
                    dl_next=${dl_next%% *}
                    ;;
            esac
        done <<EOF_LOG
$dl_lines
EOF_LOG
        if [ -z "$dl_next" ]; then
            printf '%s\n' "$dl_log" >&2
            rm -f "$dl_file.part"
            return 1
        fi
        case $dl_next in
            /*)
                dl_rest=${dl_url#*://}
                dl_next=${dl_url%%://*}://${dl_rest%%/*}$dl_next
                ;;
        esac
        if ! hop_allowed "$dl_next"; then
            rm -f "$dl_file.part"
            die "refusing a redirect from $dl_url to $dl_next: downloads stay on https" \
                "point GOV_RELEASE_BASE at an https URL that serves the files without leaving https"
        fi
        dl_hops=$((dl_hops + 1))
        if [ "$dl_hops" -gt 10 ]; then
            rm -f "$dl_file.part"
            die "more than 10 redirects from $dl_first" "check GOV_RELEASE_BASE"
        fi
        dl_url=$dl_next
    done
}

# release_of <version line>: `gov 1.2.3 ...` -> `1.2.3`.
release_of() {
    ro_rest=${1#gov }
    printf '%s\n' "${ro_rest%% *}"
}

# older_release <a> <b>: succeeds when release a (1.2.3, or 1.2.3-rc.1) is
# older than b. Numbers compare as numbers; a prerelease is older than its
# release; a version that is not numbers is taken as older.
older_release() {
    or_a=${1%%-*}
    or_b=${2%%-*}
    for _ in 1 2 3 4; do
        or_x=${or_a%%.*}
        or_y=${or_b%%.*}
        case $or_x in '' | *[!0-9]*) return 0 ;; esac
        case $or_y in '' | *[!0-9]*) return 1 ;; esac
        if [ "$or_x" -lt "$or_y" ]; then return 0; fi
        if [ "$or_x" -gt "$or_y" ]; then return 1; fi
        case $or_a in *.*) or_a=${or_a#*.} ;; *) or_a=0 ;; esac
        case $or_b in *.*) or_b=${or_b#*.} ;; *) or_b=0 ;; esac
    done
    case $1 in
        *-*) case $2 in *-*) return 1 ;; *) return 0 ;; esac ;;
    esac
    return 1
}

# sha256_of <file>: prints the lowercase hex digest.
sha256_of() {
    if has sha256sum; then
        sum_out=$(sha256sum "$1") || return 1
        sum_out=${sum_out%% *}
    elif has shasum; then
        sum_out=$(shasum -a 256 "$1") || return 1
        sum_out=${sum_out%% *}
    elif has openssl; then
        sum_out=$(openssl dgst -sha256 "$1") || return 1
        sum_out=${sum_out##* }
    else
        return 1
    fi
    printf '%s\n' "$sum_out" | tr 'A-F' 'a-f'
}

check_sha256_tool() {
    if ! has sha256sum && ! has shasum && ! has openssl; then
        die "cannot verify the download: none of sha256sum, shasum or openssl is installed" \
            "install coreutils (sha256sum) or openssl and run this again"
    fi
}

# sshsig_tool: true when ssh-keygen can verify SSH signatures (-Y verify,
# OpenSSH 8.1 and later).
sshsig_tool() {
    has ssh-keygen || return 1
    st_out=$(ssh-keygen -Y verify </dev/null 2>&1) || true
    case $st_out in
        *"option -- Y"* | *"option -- 'Y'"*) return 1 ;;
    esac
    return 0
}

# write_release_keys <dir>: writes <dir>/allowed_signers (ssh-keygen's
# format, for the principal and namespace gov-release) and <dir>/keys (one
# public key a line, for fingerprints) from the keys this script trusts.
write_release_keys() {
    wk_dir=$1
    : >"$wk_dir/allowed_signers"
    : >"$wk_dir/keys"
    set -f
    # shellcheck disable=SC2086 # <type> <base64> pairs, split on purpose
    set -- $release_keys $extra_release_keys
    set +f
    while [ $# -ge 2 ]; do
        printf 'gov-release namespaces="gov-release" %s %s\n' "$1" "$2" >>"$wk_dir/allowed_signers"
        printf '%s %s\n' "$1" "$2" >>"$wk_dir/keys"
        shift 2
    done
}

# verify_signature <file> <sig> <url>: refuses (exit 1) unless <sig> is a
# gov-release SSH signature over <file> by one of the release keys.
verify_signature() {
    write_release_keys "$tmp"
    vs_expected=$(ssh-keygen -l -f "$tmp/keys" 2>/dev/null | while read -r _ vs_fp _; do printf '%s ' "$vs_fp"; done)
    vs_expected=${vs_expected% }
    vs_size=$(wc -c <"$2" | tr -d ' ')
    if [ "$vs_size" -gt 4096 ]; then
        die "$3.sig is $vs_size bytes, not a signature; expected one by: $vs_expected; nothing was installed" \
            "the release at GOV_RELEASE_BASE was tampered with or is not one of gov's"
    fi
    if ! vs_out=$(ssh-keygen -Y verify -f "$tmp/allowed_signers" -I gov-release -n gov-release \
        -s "$2" <"$1" 2>&1); then
        printf '%s\n' "$vs_out" >&2
        die "$3.sig is not a valid gov-release signature of $3 by one of gov's release keys ($vs_expected); nothing was installed" \
            "the release was tampered with, or is not one of gov's (a mirror that lost its .sig files: rerun gov mirror sync)"
    fi
    say "verified signature: $vs_out"
}

# can_prompt: true when there is a terminal to ask on.
can_prompt() {
    (true </dev/tty) 2>/dev/null
}

cleanup() {
    if [ -n "${bin_tmp:-}" ]; then
        rm -f "$bin_tmp"
    fi
    if [ -n "${tmp:-}" ]; then
        rm -rf "$tmp"
    fi
}

main() {
    # Stamped by scripts/dist (GOV_DIST_RELEASE_BASE); GOV_RELEASE_BASE overrides it.
    default_base="https://github.com/gov-dev/gov/releases/latest/download"
    # Stamped by `gov mirror sync --url`: the mirror this copy is served
    # from. gov is then configured to take releases, the index and its own
    # updates from there.
    mirror=""
    # The public keys gov's releases are signed with, as <type> <base64>
    # pairs: the repository's release-keys (the current key, then the next).
    release_keys='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ7XliN2Z2hbTIqTzetiLnbAQpg4zONbh1sgvevD4PaM ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC9StaTFQSzS3wqOcb46wy2YQzAxwdin/Tdrdv/VCe2Z'
    # Stamped by scripts/dist: the public half of the key it signed with.
    extra_release_keys=''

    yes=0
    persist=0
    allow_downgrade=0
    check_signature=1
    go_version=
    proxy_preset=
    while [ $# -gt 0 ]; do
        case $1 in
            -y | --yes) yes=1 ;;
            --persist) persist=1 ;;
            --allow-downgrade) allow_downgrade=1 ;;
            --no-signature) check_signature=0 ;;
            --go)
                if [ $# -lt 2 ] || [ -z "$2" ]; then
                    usage_error "--go needs a version, e.g. --go 1.22.5"
                fi
                go_version=$2
                shift
                ;;
            --go=*)
                go_version=${1#--go=}
                [ -n "$go_version" ] || usage_error "--go needs a version, e.g. --go 1.22.5"
                ;;
            --proxy)
                if [ $# -lt 2 ] || [ -z "$2" ]; then
                    usage_error "--proxy needs a preset name, e.g. --proxy cn"
                fi
                proxy_preset=$2
                shift
                ;;
            --proxy=*)
                proxy_preset=${1#--proxy=}
                [ -n "$proxy_preset" ] || usage_error "--proxy needs a preset name, e.g. --proxy cn"
                ;;
            -h | --help)
                usage
                return 0
                ;;
            *) usage_error "unknown option '$1'" ;;
        esac
        shift
    done
    case $go_version in
        -*) usage_error "--go needs a version, not '$go_version'" ;;
        *[!A-Za-z0-9.]*) usage_error "'$go_version' is not a Go version (e.g. 1.22.5, 1.22 or latest)" ;;
    esac
    case $proxy_preset in
        -*) usage_error "--proxy needs a preset name, not '$proxy_preset'" ;;
        *[!A-Za-z0-9_-]*) usage_error "'$proxy_preset' is not a proxy preset name (e.g. cn, official)" ;;
    esac

    check_platform
    check_base
    pick_downloader
    check_sha256_tool
    if [ "$check_signature" = 1 ] && ! sshsig_tool; then
        die "cannot verify the release's signature: no ssh-keygen here can (it needs OpenSSH 8.1 or later for -Y verify)" \
            "install it (apt-get install openssh-client, dnf install openssh) and run this again; or pass --no-signature to trust the server alone"
    fi
    if [ "$check_signature" = 0 ]; then
        say "warning: --no-signature: the release's signature is not checked; only its .sha256, from the same server, is. Whoever controls $base (or the path to it) could hand you any program"
    fi

    if [ -n "${GOV_BIN_DIR:-}" ]; then
        bin_dir=$GOV_BIN_DIR
    elif [ "$(id -u)" = 0 ]; then
        # Root installs into the system layer, wherever it is placed.
        bin_dir=${GOV_SYSTEM_BIN_DIR:-/usr/local/bin}
    elif [ -n "${HOME:-}" ]; then
        bin_dir=$HOME/.local/bin
    else
        die "HOME is not set, so there is no ~/.local/bin to install into" \
            "set GOV_BIN_DIR to the directory gov should go into"
    fi
    case $bin_dir in
        /*) ;;
        *) bin_dir=$(pwd)/$bin_dir ;;
    esac
    while :; do
        case $bin_dir in
            ?*/) bin_dir=${bin_dir%/} ;;
            *) break ;;
        esac
    done
    dest=$bin_dir/gov
    artifact=gov-$target.tar.gz

    plan="install gov into $bin_dir"
    if [ -n "$proxy_preset" ]; then
        plan="$plan, apply the proxy preset $proxy_preset"
    fi
    if [ -n "$go_version" ]; then
        plan="$plan, install Go $go_version and make it global"
    fi
    if [ "$persist" = 1 ]; then
        plan="$plan, persist the environment for login shells"
    fi
    if [ "$yes" = 0 ] && can_prompt; then
        printf 'gov-install: this will %s.\nProceed? [Y/n] ' "$plan" >/dev/tty
        answer=
        read -r answer </dev/tty || answer=n
        case $answer in
            '' | y | Y | yes | Yes | YES) ;;
            *)
                say "nothing was changed"
                exit 1
                ;;
        esac
    else
        say "will $plan"
    fi

    tmp=
    bin_tmp=
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/gov-install.XXXXXX") ||
        die "cannot create a temporary directory in ${TMPDIR:-/tmp}" "set TMPDIR to a writable directory"

    url=$base/$artifact
    say "downloading $url"
    download "$url.sha256" "$tmp/$artifact.sha256" ||
        die "cannot download $url.sha256" \
            "check the network (HTTPS_PROXY for a proxy) and GOV_RELEASE_BASE; release builds exist for x86_64 and aarch64 Linux"
    download "$url" "$tmp/$artifact" ||
        die "cannot download $url" "check the network (HTTPS_PROXY for a proxy) and GOV_RELEASE_BASE"
    if [ "$check_signature" = 1 ]; then
        download "$url.sig" "$tmp/$artifact.sig" ||
            die "cannot download $url.sig (the release's signature); nothing was installed" \
                "gov's releases carry a .sig beside each artifact; check GOV_RELEASE_BASE (a mirror: rerun gov mirror sync)"
    fi

    # (read fails at a missing final newline but still sets the variable)
    expected=
    read -r expected _rest <"$tmp/$artifact.sha256" || true
    expected=$(printf '%s\n' "$expected" | tr 'A-F' 'a-f')
    case $expected in
        *[!0-9a-f]*) expected= ;;
    esac
    if [ ${#expected} -ne 64 ]; then
        die "$url.sha256 does not hold a sha256 digest; nothing was installed" \
            "check GOV_RELEASE_BASE: it must point at the files scripts/dist produced"
    fi
    actual=$(sha256_of "$tmp/$artifact") || die "cannot compute the sha256 of the download"
    if [ "$actual" != "$expected" ]; then
        die "checksum mismatch for $url: expected $expected, got $actual; nothing was installed" \
            "the download is corrupt or was tampered with: try again, and report it if it persists"
    fi
    say "verified sha256 $actual"
    if [ "$check_signature" = 1 ]; then
        verify_signature "$tmp/$artifact" "$tmp/$artifact.sig" "$url"
    fi

    if ! { mkdir "$tmp/x" && tar -xzf "$tmp/$artifact" -C "$tmp/x"; }; then
        die "cannot unpack $artifact; nothing was installed" "is tar (with gzip) installed?"
    fi
    new=$tmp/x/gov-$target/gov
    if [ ! -f "$new" ] || [ -L "$new" ]; then
        die "$artifact holds no gov-$target/gov; nothing was installed" \
            "check GOV_RELEASE_BASE: it must point at the files scripts/dist produced"
    fi
    chmod 755 "$new"
    if ! new_version=$("$new" --version 2>&1); then
        die "the downloaded gov does not run on this system: $new_version" \
            "release builds need glibc 2.17 or later; build from source instead: cargo install --locked --path ."
    fi
    case $new_version in
        gov\ *) ;;
        *) die "the downloaded gov answers '$new_version' to --version; nothing was installed" ;;
    esac

    if [ -n "$proxy_preset" ]; then
        # The preset's name, checked by the new gov against throwaway state.
        if ! GOV_HOME=$tmp/check GOV_BIN_DIR=$tmp/check/bin \
            "$new" --quiet proxy use "$proxy_preset" >/dev/null 2>"$tmp/check.err"; then
            cat "$tmp/check.err" >&2
            printf 'gov-install: error: %s\n' "cannot apply the proxy preset '$proxy_preset'; nothing was installed" >&2
            printf '  hint: %s\n' "pick one of the presets above; the corp preset needs its URL: run 'gov proxy use corp --url ...' after installing" >&2
            exit 2
        fi
    fi

    mkdir -p "$bin_dir" || die "cannot create $bin_dir" \
        "run as root for /usr/local/bin, or set GOV_BIN_DIR to a directory you can write"
    if [ -d "$dest" ]; then
        die "$dest is a directory; nothing was installed" "move it away, or set GOV_BIN_DIR elsewhere"
    fi
    old_version=
    if [ -f "$dest" ]; then
        old_version=$("$dest" --version 2>/dev/null || true)
    fi
    case $old_version in
        gov\ *)
            if [ "$allow_downgrade" = 0 ] && older_release "$(release_of "$new_version")" "$(release_of "$old_version")"; then
                die "$dest is $old_version, newer than the $new_version published at $base; nothing was installed" \
                    "the release may be stale (an old mirror); to go back to it on purpose, run install.sh with --allow-downgrade"
            fi
            ;;
    esac
    new_sum=$(sha256_of "$new") || die "cannot compute the sha256 of $new"
    old_sum=
    if [ -f "$dest" ] && [ ! -L "$dest" ]; then
        old_sum=$(sha256_of "$dest" 2>/dev/null || true)
    fi
    if [ "$old_sum" = "$new_sum" ]; then
        say "$dest is already $new_version (unchanged)"
    else
        # Written beside its final name, then renamed over it: a gov that
        # is running or starting meanwhile is the old file or the new one.
        bin_tmp=$bin_dir/.gov.install.$$
        rm -f "$bin_tmp"
        if ! { cp "$new" "$bin_tmp" && chmod 755 "$bin_tmp"; }; then
            die "cannot write to $bin_dir; nothing was installed" \
                "run as root for /usr/local/bin, or set GOV_BIN_DIR to a directory you can write"
        fi
        mv -f "$bin_tmp" "$dest" || die "cannot rename $bin_tmp to $dest; nothing was installed"
        bin_tmp=
        case $old_version in
            gov\ *) say "replaced $old_version with $new_version at $dest" ;;
            *) say "installed $new_version at $dest" ;;
        esac
    fi

    # gov puts go and gofmt beside itself.
    GOV_BIN_DIR=$bin_dir
    export GOV_BIN_DIR
    # A mirror's copy (stamped by `gov mirror sync --url`) points gov at
    # that mirror unless the environment says otherwise.
    if [ -n "$mirror" ]; then
        GOV_MIRROR=${GOV_MIRROR:-$mirror}
        GOV_INDEX_URL=${GOV_INDEX_URL:-$mirror/index.json}
        GOV_RELEASE_BASE=${GOV_RELEASE_BASE:-$mirror}
        say "gov takes Go releases from the mirror $mirror"
    fi
    # Where releases come from, as given: kept in gov's config (root: the
    # system layer's, read by every account), so later logins, cron jobs
    # and services use it without this environment.
    set --
    for key in GOV_INDEX_URL GOV_MIRROR GOV_RELEASE_BASE; do
        eval "val=\${$key:-}"
        if [ -n "$val" ]; then
            set -- "$@" "$key=$val"
        fi
    done
    if [ $# -gt 0 ]; then
        "$dest" --quiet config set "$@" ||
            die "gov config set failed (gov itself is installed)" "see gov's message above"
    fi
    if [ -n "$proxy_preset" ]; then
        "$dest" proxy use "$proxy_preset" ||
            die "gov proxy use $proxy_preset failed (gov itself is installed)" \
                "'$dest proxy use' lists the presets"
    fi
    if [ -n "$go_version" ]; then
        "$dest" install "$go_version" ||
            die "gov install $go_version failed (gov itself is installed)" "see gov's message above"
        "$dest" global "$go_version" ||
            die "gov global $go_version failed (gov itself is installed)" "see gov's message above"
    fi
    if [ "$persist" = 1 ]; then
        "$dest" persist || die "gov persist failed (gov itself is installed)" "see gov's message above"
    fi

    case ":${PATH:-}:" in
        *":$bin_dir:"*) say "done: run 'gov --help' to start" ;;
        *)
            if [ "$persist" = 1 ]; then
                say "done; new login shells will find gov and go. $bin_dir is not on this shell's PATH yet:"
            else
                say "done; $bin_dir is not on PATH. Add this line to your shell's startup file (~/.profile):"
            fi
            printf '    export PATH="%s:%s"\n' "$bin_dir" "\$PATH" >&2
            if [ "$persist" = 0 ]; then
                say "or run '$dest persist' to do that for login shells and systemd user services"
            fi
            ;;
    esac
}

# One compound command: a shell runs it only once it has read the closing
# brace, so no prefix of this line (or of the file) runs anything.
{ main "$@"; }
