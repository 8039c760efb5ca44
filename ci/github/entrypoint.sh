#!/usr/bin/env bash
# The entry point of kharden's GitHub Action (action.yml at the repository's root).
# action.yml hands it the action's inputs in INPUT_* variables; a test runs it the
# same way (internal/integration). It needs bash (3.2 or newer), and curl or wget
# when it downloads kharden.
#
#   INPUT_PATH          what to scan: files or directories, one per line (default ".")
#   INPUT_PROFILE       --profile: default, pss-baseline[:v1.N], pss-restricted[:v1.N]
#   INPUT_FAIL_ON       --fail-on: info, low, medium, high or critical
#   INPUT_CONFIG        --config FILE, or "none" for --no-config (built-in defaults)
#   INPUT_FORMAT        report format: sarif (default), json, junit or text
#   INPUT_OUTPUT        report file (default kharden.sarif, .json, .xml or .txt)
#   INPUT_ARGS          more arguments for kharden scan, split at white space
#   INPUT_DB_UPDATE     arguments of a kharden db update run before the scan, split at
#                       white space (--ecosystem Debian); empty: no update
#   INPUT_VERSION       the release to download (default: the VERSION beside this action)
#   INPUT_KHARDEN       a kharden already installed (a path, or a command on PATH):
#                       nothing is downloaded
#   INPUT_DOWNLOAD_URL  where releases are: URL/vVERSION/kharden_VERSION_OS_ARCH[.exe]
#                       and URL/vVERSION/SHA256SUMS
#
# Relative paths are taken from GITHUB_WORKSPACE. The report is written even when
# kharden finds problems; report=FILE (when there is a report) and exit-code=N go to
# GITHUB_OUTPUT, a line to GITHUB_STEP_SUMMARY, and the script exits with kharden's
# exit code: 0 nothing at or above the threshold, 1 findings at or above it, 2 errors
# (this script's own too).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

fail() {
	echo "::error title=kharden::$*" >&2
	if [ -n "${GITHUB_OUTPUT:-}" ]; then
		echo "exit-code=2" >>"$GITHUB_OUTPUT"
	fi
	exit 2
}

# download URL FILE: fetch URL into FILE, failing on any HTTP error.
download() {
	if command -v curl >/dev/null 2>&1; then
		curl --fail --silent --show-error --location --retry 3 --output "$2" "$1"
	elif command -v wget >/dev/null 2>&1; then
		wget --quiet --tries=3 --output-document="$2" "$1"
	else
		fail "neither curl nor wget is installed to download kharden"
	fi
}

sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | cut -d' ' -f1
	else
		shasum -a 256 "$1" | cut -d' ' -f1
	fi
}

# install_kharden sets kharden to the release binary for this runner, downloaded
# and checked against the release's SHA256SUMS.
install_kharden() {
	local version os arch name dir base want got
	version=${INPUT_VERSION:-}
	if [ -z "$version" ]; then
		version=$(cat "$here/../../VERSION") || fail "no version given and no VERSION file beside the action"
	fi
	version=${version#v}
	case ${RUNNER_OS:-$(uname -s)} in
	Linux) os=linux ;;
	macOS | Darwin) os=darwin ;;
	Windows | MINGW* | MSYS* | CYGWIN*) os=windows ;;
	*) fail "no kharden release for the operating system ${RUNNER_OS:-$(uname -s)}" ;;
	esac
	case ${RUNNER_ARCH:-$(uname -m)} in
	X64 | x86_64 | amd64) arch=amd64 ;;
	ARM64 | aarch64 | arm64) arch=arm64 ;;
	*) fail "no kharden release for the architecture ${RUNNER_ARCH:-$(uname -m)}" ;;
	esac
	name=kharden_${version}_${os}_${arch}
	if [ "$os" = windows ]; then
		name=$name.exe
	fi
	dir=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/kharden.XXXXXX")
	base=${INPUT_DOWNLOAD_URL:-https://github.com/kharden/kharden/releases/download}
	base=${base%/}/v$version
	echo "Downloading $base/$name"
	download "$base/SHA256SUMS" "$dir/SHA256SUMS" || fail "could not download $base/SHA256SUMS"
	download "$base/$name" "$dir/$name" || fail "could not download $base/$name"
	want=$(awk -v n="$name" '$2 == n || $2 == "*" n { print $1 }' "$dir/SHA256SUMS")
	[ -n "$want" ] || fail "$base/SHA256SUMS has no line for $name"
	got=$(sha256 "$dir/$name")
	[ "$got" = "$want" ] || fail "$name has SHA-256 $got, but SHA256SUMS says $want: not run"
	chmod +x "$dir/$name"
	kharden=$dir/$name
}

format=${INPUT_FORMAT:-sarif}
case $format in
sarif) ext=sarif ;;
json) ext=json ;;
junit) ext=xml ;;
text) ext=txt ;;
*) fail "format \"$format\": want sarif, json, junit or text" ;;
esac
output=${INPUT_OUTPUT:-kharden.$ext}
case $output in
*$'\n'* | *$'\r'*) fail "the output file's name has a line break" ;;
esac

if [ -n "${GITHUB_WORKSPACE:-}" ]; then
	cd "$GITHUB_WORKSPACE"
fi

if [ -n "${INPUT_KHARDEN:-}" ]; then
	kharden=$INPUT_KHARDEN
	command -v "$kharden" >/dev/null 2>&1 || fail "kharden \"$kharden\" is neither an executable file nor a command on PATH"
else
	install_kharden
fi

# The vulnerability database, for --images (cache the directory KHARDEN_DB names):
# a failed update leaves it as it was, and the scan says how old it is.
if [ -n "${INPUT_DB_UPDATE:-}" ]; then
	set -f
	# shellcheck disable=SC2086
	"$kharden" db update $INPUT_DB_UPDATE || echo "::warning title=kharden::the database update failed: scanning with the database as it was"
	set +f
fi

# --output: the report is replaced whole when kharden ends, never left half-written.
args=(scan --format "$format" --output "$output")
if [ -n "${INPUT_PROFILE:-}" ]; then
	args+=(--profile "$INPUT_PROFILE")
fi
if [ -n "${INPUT_FAIL_ON:-}" ]; then
	args+=(--fail-on "$INPUT_FAIL_ON")
fi
case ${INPUT_CONFIG:-} in
"") ;;
none) args+=(--no-config) ;;
*) args+=(--config "$INPUT_CONFIG") ;;
esac
if [ -n "${INPUT_ARGS:-}" ]; then
	set -f # split at white space, never expand * or ?
	# shellcheck disable=SC2206
	args+=($INPUT_ARGS)
	set +f
fi
args+=(--)
npaths=0
while IFS= read -r p || [ -n "$p" ]; do
	# Leading and trailing blanks are YAML indentation, not part of the path.
	p=${p#"${p%%[![:space:]]*}"}
	p=${p%"${p##*[![:space:]]}"}
	if [ -n "$p" ]; then
		args+=("$p")
		npaths=$((npaths + 1))
	fi
done <<<"${INPUT_PATH:-.}"
if [ "$npaths" -eq 0 ]; then
	args+=(.)
fi

mkdir -p "$(dirname "$output")" || fail "cannot create the directory of $output"
echo "kharden ${args[*]}"
set +e
"$kharden" "${args[@]}"
code=$?
set -e

case $code in
0) verdict="nothing at or above the failure threshold" ;;
1) verdict="findings at or above the failure threshold" ;;
*) verdict="errors: some input was not read, or the run could not be made" ;;
esac
echo "kharden: exit code $code: $verdict; report in $output"
if [ -n "${GITHUB_OUTPUT:-}" ]; then
	# No report (kharden could not write it): no report output, so that the
	# workflow's upload step can skip.
	if [ -f "$output" ]; then
		echo "report=$output" >>"$GITHUB_OUTPUT"
	fi
	echo "exit-code=$code" >>"$GITHUB_OUTPUT"
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
	echo "**kharden**: exit code $code, $verdict. Report: \`$output\` ($format)." >>"$GITHUB_STEP_SUMMARY"
fi
exit "$code"
